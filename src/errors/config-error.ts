import { AppError } from './app-error.js';

export interface ConfigIssue {
  /** The environment variable (or routes-file path) at fault. */
  variable: string;
  message: string;
}

/** Configuration did not validate; the message names every variable at fault and what is allowed. */
export class ConfigError extends AppError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`, {
      code: 'CONFIG_INVALID',
      category: 'configuration',
      retryable: false,
      details: { issues },
    });
    this.issues = issues;
  }
}
