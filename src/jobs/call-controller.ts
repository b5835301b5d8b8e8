import type {
  ControlResults,
  DtmfCommand,
  HangupCommand,
  OriginateCommand,
  PlayCommand,
  RecordCommand,
  SendMessageCommand,
  TransferCommand,
} from './control-commands.js';

/**
 * What the call-control worker needs from the calls layer, declared here by its consumer. The calls layer
 * implements it on every instance; the worker only calls it for calls the instance owns (and for originate).
 *
 * A method resolves with the result or throws. Throw an `AppError` with code `CALL_NOT_FOUND` or `CALL_ENDED` when
 * the call is not (or no longer) live here; any other `AppError` code is passed to the client as
 * `CONTROL_FAILED` with the original code in `details.remote`. The signal aborts when the command's deadline
 * passes or the worker shuts down.
 */
export interface CallController {
  originate(command: OriginateCommand & { callId: string }, signal: AbortSignal): Promise<ControlResults['originate']>;
  hangup(command: HangupCommand, signal: AbortSignal): Promise<ControlResults['hangup']>;
  transfer(command: TransferCommand, signal: AbortSignal): Promise<ControlResults['transfer']>;
  play(command: PlayCommand, signal: AbortSignal): Promise<ControlResults['play']>;
  sendDtmf(command: DtmfCommand, signal: AbortSignal): Promise<ControlResults['dtmf']>;
  sendMessage(command: SendMessageCommand, signal: AbortSignal): Promise<ControlResults['send-message']>;
  record(command: RecordCommand, signal: AbortSignal): Promise<ControlResults['record']>;
}
