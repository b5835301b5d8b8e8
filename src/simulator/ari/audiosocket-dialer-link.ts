/**
 * Connects the simulated Asterisk's externalMedia AudioSocket channels with the simulated AudioSocket dialer:
 * the connection opens (UUID frame first) during the externalMedia request, audio is held until the channel is
 * bridged, then the bridged caller's audio (`placeInboundCall({ audio })`, an `AudioSource`) flows as paced 20 ms
 * frames, caller DTMF is forwarded as `0x03` frames, and Asterisk's hangup closes the socket without `0x00`.
 */
import { AUDIO_KIND_SAMPLE_RATE, type AudioKind } from '../../protocols/audiosocket/kinds.js';
import { isDtmfDigit } from '../../protocols/audiosocket/dtmf.js';
import { type AudioSource, type FrameSource, openAudioSourceOrSilence } from '../audio/audio-source.js';
import {
  dialAudioSocket,
  type FrameTicker,
  type ReceivedFrame,
  type SimulatedAudioSocketCall,
} from '../audiosocket-dialer.js';
import type { AudioSocketDial, AudioSocketDialRequest } from './audiosocket-link.js';

export interface AudioSocketDialerLinkOptions {
  /** Receives every call once connected (tests read `received` frames from it). */
  readonly onCall?: (call: SimulatedAudioSocketCall, request: AudioSocketDialRequest<AudioSource>) => void;
  /** A shared clock to pace all calls with (load generation); each call runs its own otherwise. */
  readonly clock?: FrameTicker;
  /** Called for every frame the server sends on any call, with the call's request (load generation). */
  readonly onFrame?: (frame: ReceivedFrame, request: AudioSocketDialRequest<AudioSource>) => void;
  /** false: calls keep neither received frames nor sent audio (load generation). Default true. */
  readonly record?: boolean;
}

function isAudioKind(kind: number): kind is AudioKind {
  return kind in AUDIO_KIND_SAMPLE_RATE;
}

/** An `AudioSocketDial` backed by `dialAudioSocket`. */
export function audioSocketDialerLink(options: AudioSocketDialerLinkOptions = {}): AudioSocketDial<AudioSource> {
  return async (request) => {
    const kind = isAudioKind(request.kind) ? request.kind : 0x10;
    const sampleRate = AUDIO_KIND_SAMPLE_RATE[kind];
    let frames: FrameSource | undefined;
    const call = await dialAudioSocket({
      host: request.host,
      port: request.port,
      uuid: request.uuid,
      kind,
      signal: request.signal,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.record === false ? { recordReceived: false, recordSent: false } : {}),
      ...(options.onFrame ? { onFrame: (frame: ReceivedFrame) => options.onFrame?.(frame, request) } : {}),
      source: {
        type: 'generator',
        next: (frameSamples) => {
          if (!frames) return new Int16Array(frameSamples);
          const bytes = frames.next(frameSamples);
          if (!bytes) return undefined;
          const samples = new Int16Array(frameSamples);
          for (let i = 0; i < frameSamples; i++) samples[i] = bytes.readInt16LE(i * 2);
          return samples;
        },
      },
    });
    call.pauseAudio();
    void request.source.then((audio) => {
      frames = openAudioSourceOrSilence(audio, sampleRate);
      call.resumeAudio();
    });
    options.onCall?.(call, request);
    return {
      hangup: () => call.hangup(),
      closed: call.closed,
      sendDtmf: (digit) => {
        if (isDtmfDigit(digit)) void call.sendDtmf(digit).catch(() => undefined);
      },
    };
  };
}
