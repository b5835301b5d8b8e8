/**
 * Builds ARI events with the key order Asterisk 22.10 was recorded with:
 * `type, timestamp, <fields>, channel|bridge|peer, asterisk_id, application`, except ChannelVarset
 * (`variable, value, type, …`) and ChannelHangupRequest with a cause (`cause, soft, type, …`).
 */
import type { Bridge, Channel, KnownAriEvent, LiveRecording, Playback } from '../../protocols/ari/index.js';
import { causeText } from '../../protocols/ari/index.js';

/** Where and when an event is produced. */
export interface EventStamp {
  readonly application: string;
  readonly timestamp: string;
  readonly asteriskId: string;
}

export const ev = {
  stasisStart(s: EventStamp, args: readonly string[], channel: Channel): KnownAriEvent {
    return {
      type: 'StasisStart',
      timestamp: s.timestamp,
      args: [...args],
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  stasisEnd(s: EventStamp, channel: Channel): KnownAriEvent {
    return {
      type: 'StasisEnd',
      timestamp: s.timestamp,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  stateChange(s: EventStamp, channel: Channel): KnownAriEvent {
    return {
      type: 'ChannelStateChange',
      timestamp: s.timestamp,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  varset(s: EventStamp, variable: string, value: string, channel: Channel): KnownAriEvent {
    return {
      variable,
      value,
      type: 'ChannelVarset',
      timestamp: s.timestamp,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  /** `soft` present means an ARI hangup (cause 32 = soft-hangup flag); absent means the far end hung up. */
  hangupRequest(s: EventStamp, channel: Channel, soft?: { cause: number }): KnownAriEvent {
    if (soft) {
      return {
        cause: soft.cause,
        soft: true,
        type: 'ChannelHangupRequest',
        timestamp: s.timestamp,
        channel,
        asterisk_id: s.asteriskId,
        application: s.application,
      };
    }
    return {
      type: 'ChannelHangupRequest',
      timestamp: s.timestamp,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  destroyed(s: EventStamp, cause: number, channel: Channel): KnownAriEvent {
    return {
      type: 'ChannelDestroyed',
      timestamp: s.timestamp,
      cause,
      cause_txt: causeText(cause),
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  dial(s: EventStamp, dialstatus: string, dialstring: string, peer: Channel): KnownAriEvent {
    return {
      type: 'Dial',
      timestamp: s.timestamp,
      dialstatus,
      forward: '',
      dialstring,
      peer,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  dtmf(s: EventStamp, digit: string, durationMs: number, channel: Channel): KnownAriEvent {
    return {
      type: 'ChannelDtmfReceived',
      timestamp: s.timestamp,
      digit,
      duration_ms: durationMs,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  connectedLine(s: EventStamp, channel: Channel): KnownAriEvent {
    return {
      type: 'ChannelConnectedLine',
      timestamp: s.timestamp,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  enteredBridge(s: EventStamp, bridge: Bridge, channel: Channel): KnownAriEvent {
    return {
      type: 'ChannelEnteredBridge',
      timestamp: s.timestamp,
      bridge,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  leftBridge(s: EventStamp, bridge: Bridge, channel: Channel): KnownAriEvent {
    return {
      type: 'ChannelLeftBridge',
      timestamp: s.timestamp,
      bridge,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  bridgeDestroyed(s: EventStamp, bridge: Bridge): KnownAriEvent {
    return {
      type: 'BridgeDestroyed',
      timestamp: s.timestamp,
      bridge,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  playback(
    s: EventStamp,
    type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished',
    playback: Playback,
  ): KnownAriEvent {
    return { type, timestamp: s.timestamp, playback, asterisk_id: s.asteriskId, application: s.application };
  },
  recording(
    s: EventStamp,
    type: 'RecordingStarted' | 'RecordingFinished' | 'RecordingFailed',
    recording: LiveRecording,
  ): KnownAriEvent {
    return { type, timestamp: s.timestamp, recording, asterisk_id: s.asteriskId, application: s.application };
  },
  talkingStarted(s: EventStamp, channel: Channel): KnownAriEvent {
    return {
      type: 'ChannelTalkingStarted',
      timestamp: s.timestamp,
      channel,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  talkingFinished(s: EventStamp, channel: Channel, duration: number): KnownAriEvent {
    return {
      type: 'ChannelTalkingFinished',
      timestamp: s.timestamp,
      channel,
      duration,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
  applicationReplaced(s: EventStamp): KnownAriEvent {
    return {
      type: 'ApplicationReplaced',
      timestamp: s.timestamp,
      asterisk_id: s.asteriskId,
      application: s.application,
    };
  },
};
