#!/usr/bin/env bash
# Regenerates the speech WAVs in test/fixtures/speech/ (mono PCM16, 8 and 16 kHz) with espeak-ng and sox only.
# The tests read the committed files; run this only to change them, then update test/fixtures/speech/README.md.
#
#   hello-8k.wav, hello-16k.wav   "Hello, I would like to book a table for two people tonight.", leading and
#                                 trailing silence trimmed (speech from the first sample).
#   onset-8k.wav, onset-16k.wav   1.0 s digital silence, then 1.5 s of speech ("Hello, I would like a table.",
#                                 trimmed, padded to 1.5 s), then digital silence: 1.0 s at 8 kHz, 0.5 s at 16 kHz
#                                 (keeps the file under 100 KB). Known onset: 1.000 s.
set -euo pipefail

case "${1:-}" in
  -h | --help)
    echo "usage: scripts/make-speech-fixtures.sh"
    echo "Regenerates test/fixtures/speech/*.wav with espeak-ng and sox (only to change them; the tests read the committed files)."
    exit 0
    ;;
  "") ;;
  *) echo "make-speech-fixtures: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
esac

out="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/speech"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

espeak-ng -v en-us -s 190 -w "$tmp/hello.wav" "Hello, I would like to book a table for two people tonight."
espeak-ng -v en-us -s 190 -w "$tmp/onset.wav" "Hello, I would like a table."

# Trim leading and trailing silence (below 0.5 % of full scale for 10 ms).
trim=(silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse)

for rate in 8000 16000; do
  k=$((rate / 1000))
  # -D: no dither, -R: repeatable; the output is identical on every run.
  sox -D -R "$tmp/hello.wav" -r "$rate" -b 16 -c 1 -e signed-integer "$out/hello-${k}k.wav" "${trim[@]}"
  # -V1: the padding that "trim" cuts short is reported as a warning; it is expected.
  sox -V1 -D -R "$tmp/onset.wav" -r "$rate" -b 16 -c 1 -e signed-integer "$tmp/speech-${k}k.wav" "${trim[@]}" pad 0 1.5 trim 0 1.5
  tail_s=1.0
  if [ "$rate" = 16000 ]; then tail_s=0.5; fi
  sox -D -R "$tmp/speech-${k}k.wav" "$out/onset-${k}k.wav" pad 1.0 "$tail_s"
done

for f in "$out"/*.wav; do
  printf '%s\t%s bytes\t%s s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(soxi -D "$f")"
done
