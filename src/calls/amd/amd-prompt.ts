import type { AmdResult } from './amd-result.js';

/**
 * What a text-instructed agent (Realtime) is told about the answering-machine verdict, added to its session
 * instructions before its first words. A machine reached with `machine: message` is told the beep has sounded
 * (or that none was heard) and to speak its message now; the call is hung up once the message has played.
 */
export function amdInstructionNote(amd: AmdResult): string {
  const how = `answering-machine detection (${amd.mode}) result: ${amd.result} (cause ${amd.cause})`;
  switch (amd.result) {
    case 'human':
      return `Call context: ${how}. A person answered; greet them and talk as usual.`;
    case 'notsure':
      return `Call context: ${how}. It is not known whether a person or a machine answered; open as for a person and adapt.`;
    case 'machine':
      return amd.beep
        ? `Call context: ${how}. The call reached an answering machine and its beep has sounded: it is recording now. Leave a short voicemail message, speaking to the recipient, and do not wait for a reply; the call ends when your message has played.`
        : `Call context: ${how}. The call reached an answering machine; no beep was heard, but it is likely recording. Leave a short voicemail message and do not wait for a reply; the call ends when your message has played.`;
  }
}

/** The first turn a Realtime agent is asked for on a machine that gets a message, when the route has no greeting. */
export const AMD_MESSAGE_GREETING = 'Leave your voicemail message now.';
