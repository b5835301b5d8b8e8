/**
 * Argument parsing for the scripts in bench/ and scripts/: every one takes `--help` (prints its usage, exits 0,
 * does nothing else), and a bad option is one line on stderr with exit 2 instead of a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export type ScriptArgs<O extends Options> =
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string }
  | {
      readonly kind: 'run';
      readonly values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values'];
      readonly positionals: string[];
    };

/** Parses `argv` (without node and the script); pure, for tests. */
export function parseScriptArgs<O extends Options>(argv: readonly string[], options: O): ScriptArgs<O> {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  try {
    const parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { kind: 'run', values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Parses `process.argv` for the script `name`: prints `usage` and exits 0 on --help; prints one line and exits 2
 * on a bad option; otherwise returns the values.
 */
export function scriptArgs<O extends Options>(
  name: string,
  usage: string,
  options: O,
  argv: readonly string[] = process.argv.slice(2),
): Extract<ScriptArgs<O>, { kind: 'run' }> {
  const parsed = parseScriptArgs(argv, options);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(`${usage.trim()}\n`);
      process.exit(0);
      break;
    case 'error':
      process.stderr.write(`${name}: ${parsed.message.split('\n')[0]} (see --help)\n`);
      process.exit(2);
      break;
    case 'run':
      return parsed;
  }
  throw new Error('unreachable');
}

/** For scripts with positional arguments only: prints `usage` and exits 0 when `--help` or `-h` is given. */
export function helpIfAsked(usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
}
