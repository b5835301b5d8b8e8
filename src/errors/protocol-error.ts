import { AppError } from './app-error.js';

/** A peer sent bytes or messages that break its protocol. Never retryable: the connection is closed. */
export class ProtocolError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, { code, category: 'protocol', retryable: false, details, cause });
  }
}
