#!/usr/bin/env bash
# Regenerates the labelled answering-machine detection set in test/fixtures/amd/ (8 kHz mono PCM16 WAV) with
# espeak-ng and sox only: voicemail greetings that end in a beep ("machine") against live answers ("human").
# The tests and `npm run bench` read the committed files and labels.csv; run this only to change them.
#
#   machine-NN.wav  0.3 s silence, a spoken greeting (several voices, speeds and lengths), 0.3-0.6 s silence,
#                   a sine beep (850-1400 Hz, 0.4-0.8 s), 0.3 s silence. Some with background noise.
#   human-NN.wav    0.2-0.5 s silence, a short answer ("Hello?", "Yes, speaking."), 1.2 s silence (the callee
#                   waits for the caller). Some with background noise.
#   labels.csv      file,label,voice,noise,beepHz,text
set -euo pipefail

case "${1:-}" in
  -h | --help)
    echo "usage: scripts/make-amd-fixtures.sh"
    echo "Regenerates test/fixtures/amd/*.wav and labels.csv with espeak-ng and sox."
    exit 0
    ;;
  "") ;;
  *) echo "make-amd-fixtures: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
esac

out="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/amd"
mkdir -p "$out"
rm -f "$out"/*.wav
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fmt=(-r 8000 -b 16 -c 1 -e signed-integer)
trim=(silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse)
echo "file,label,voice,noise,beepHz,text" >"$out/labels.csv"

silence() { sox -n "${fmt[@]}" "$2" trim 0 "$1"; }

# speak <voice> <speed> <pitch> <text> <out>: trimmed 8 kHz speech.
speak() {
  espeak-ng -v "$1" -s "$2" -p "$3" -w "$tmp/raw.wav" "$4"
  sox -V1 -D -R "$tmp/raw.wav" "${fmt[@]}" "$5" "${trim[@]}"
}

# noisy <in> <out> <level>: white noise at <level> (sox vol) mixed under the whole file.
noisy() {
  local dur
  dur="$(soxi -D "$1")"
  sox -D -R -n "${fmt[@]}" "$tmp/noise.wav" synth "$dur" whitenoise vol "$3"
  sox -D -R -m -v 1 "$1" -v 1 "$tmp/noise.wav" "${fmt[@]}" "$2"
}

# machine <n> <voice> <speed> <pitch> <gap s> <beep Hz> <beep s> <noise level|0> <text>
machine() {
  local name
  name="$(printf 'machine-%02d.wav' "$1")"
  speak "$2" "$3" "$4" "$9" "$tmp/speech.wav"
  silence 0.3 "$tmp/lead.wav"
  silence "$5" "$tmp/gap.wav"
  sox -D -R -n "${fmt[@]}" "$tmp/beep.wav" synth "$7" sine "$6" vol 0.5
  silence 0.3 "$tmp/tail.wav"
  sox -D -R "$tmp/lead.wav" "$tmp/speech.wav" "$tmp/gap.wav" "$tmp/beep.wav" "$tmp/tail.wav" "$tmp/m.wav"
  if [ "$8" != 0 ]; then noisy "$tmp/m.wav" "$out/$name" "$8"; else cp "$tmp/m.wav" "$out/$name"; fi
  echo "$name,machine,$2,$8,$6,\"$9\"" >>"$out/labels.csv"
}

# human <n> <voice> <speed> <pitch> <lead s> <noise level|0> <text>
human() {
  local name
  name="$(printf 'human-%02d.wav' "$1")"
  speak "$2" "$3" "$4" "$7" "$tmp/speech.wav"
  silence "$5" "$tmp/lead.wav"
  silence 1.2 "$tmp/tail.wav"
  sox -D -R "$tmp/lead.wav" "$tmp/speech.wav" "$tmp/tail.wav" "$tmp/h.wav"
  if [ "$6" != 0 ]; then noisy "$tmp/h.wav" "$out/$name" "$6"; else cp "$tmp/h.wav" "$out/$name"; fi
  echo "$name,human,$2,$6,,\"$7\"" >>"$out/labels.csv"
}

machine 1 en-us 175 50 0.4 1000 0.5 0 "Hi, you have reached Anna. Leave a message."
machine 2 en-gb 165 40 0.3 1000 0.5 0 "Hello, this is David. I can't take your call."
machine 3 en-us+f3 180 60 0.5 1000 0.6 0 "The person you are calling is not available."
machine 4 en-gb-scotland 170 45 0.4 850 0.5 0 "You've reached the Campbell family. Leave a message."
machine 5 en-029 160 50 0.3 1000 0.4 0 "Hi, it's Marcus. Leave your name and number."
machine 6 en-gb-x-rp 150 35 0.6 1400 0.5 0 "Thank you for calling. Please leave a message."
machine 7 en-us+f2 190 70 0.4 1000 0.8 0.02 "Hey, it's Jess. Leave a message."
machine 8 en-us 170 30 0.3 1000 0.5 0.02 "You have reached the voicemail of five five five."
machine 9 en-gb+f4 175 65 0.5 1000 0.5 0 "Please leave a message."
machine 10 en-us+m3 165 40 0.4 950 0.5 0 "Hi, this is Tom at Riverside Plumbing."
machine 11 en-gb 185 50 0.3 1000 0.6 0.03 "Sorry I missed you. Leave a message after the beep."
machine 12 en-us+f4 160 55 0.4 1000 0.5 0 "Hello, you've reached Maria and Paul."
machine 13 en-029+f3 175 60 0.5 1100 0.5 0 "Your call has been forwarded to voicemail."
machine 14 en-gb-scotland+m2 170 40 0.3 1000 0.5 0.02 "Hi, Ian here. Leave a message."
machine 15 en-us 200 50 0.4 1000 0.4 0 "Not available. Leave a message."
machine 16 en-gb-x-rp+f2 155 50 0.6 1000 0.7 0 "You have reached the office of Doctor Harris."
machine 17 en-us+m4 180 35 0.3 900 0.5 0.03 "Yo, it's Danny. You know what to do."
machine 18 en-gb+f3 170 60 0.4 1000 0.5 0 "Hi, this is Sarah. Please leave a message."
machine 19 en-us+f1 175 55 0.5 1000 0.5 0.02 "At the tone, please record your message."
machine 20 en-029 165 45 0.4 1200 0.6 0 "Hello. Leave a message."

human 1 en-us 175 50 0.3 0 "Hello?"
human 2 en-gb 170 45 0.2 0 "Yes, speaking."
human 3 en-us+f3 180 60 0.4 0 "Hi, who's this?"
human 4 en-gb-scotland 165 40 0.3 0 "Hello."
human 5 en-029 170 50 0.5 0 "Yeah?"
human 6 en-gb-x-rp 160 35 0.3 0 "Good morning."
human 7 en-us+f2 190 70 0.2 0.02 "Hello?"
human 8 en-us 170 30 0.4 0.02 "Hello, this is Mark."
human 9 en-gb+f4 175 65 0.3 0 "Speaking."
human 10 en-us+m3 165 40 0.3 0 "Hi there."
human 11 en-gb 185 50 0.2 0.03 "Yes?"
human 12 en-us+f4 160 55 0.4 0 "Hello, Maria speaking."
human 13 en-029+f3 175 60 0.5 0 "Hello, who is calling?"
human 14 en-gb-scotland+m2 170 40 0.3 0.02 "Aye, hello?"
human 15 en-us 200 50 0.3 0 "Hey."
human 16 en-gb-x-rp+f2 155 50 0.4 0 "Harris residence."
human 17 en-us+m4 180 35 0.2 0.03 "Yeah, hello?"
human 18 en-gb+f3 170 60 0.3 0 "Hi, this is Sarah."
human 19 en-us+f1 175 55 0.4 0.02 "Hello, yes?"
human 20 en-029 165 45 0.3 0 "Hello, good afternoon."
