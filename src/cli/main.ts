import { Argument, Command, CommanderError } from 'commander';
import { isAppError } from '../errors/app-error.js';
import { buildCallCommand } from './call-command.js';
import { buildCallsCommand } from './calls-table.js';
import { configReferenceMarkdown } from './config-command.js';
import { EXIT } from './exit-codes.js';
import { MIGRATE_ACTIONS, type MigrateAction } from './migrate-actions.js';
import { checkRoutesFile } from './routes-command.js';

export { EXIT } from './exit-codes.js';

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function fail(err: unknown): never {
  if (isAppError(err)) {
    process.stderr.write(`ava: ${err.message}\n`);
    if (err.details?.body !== undefined) process.stderr.write(`${JSON.stringify(err.details.body)}\n`);
    const byCategory: Partial<Record<string, number>> = {
      configuration: EXIT.config,
      connectivity: EXIT.unavailable,
      timeout: EXIT.unavailable,
      invalid_request: EXIT.usage,
      not_found: EXIT.notFound,
      authentication: EXIT.denied,
    };
    process.exit(byCategory[err.category] ?? EXIT.failure);
  }
  process.stderr.write(`ava: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(EXIT.failure);
}

export function buildProgram(): Command {
  const program = new Command('ava')
    .description('Asterisk voice-AI adapter: answers Asterisk calls and bridges their audio to AI agents')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('run the adapter (configuration from the environment; see README)')
    .option(
      '--media-workers <n>',
      'media worker processes carrying the media of calls: a count, auto, or 0 for one process (overrides MEDIA_WORKERS)',
    )
    .action(async (opts: { mediaWorkers?: string }) => {
      const { runServe } = await import('./serve-command.js');
      await runServe(opts.mediaWorkers);
    });

  program
    .command('demo')
    .description('place a simulated call through the real service (no PBX, no API key needed)')
    .option('--out <dir>', 'where to write the call recording (call.wav) and summary (summary.json)', 'out/demo')
    .option('--seconds <n>', 'longest call length in seconds', '20')
    .option('--sip', 'an openai-sip route: the call is dialled to a simulated Realtime SIP service instead')
    .action(async (opts: { out: string; seconds: string; sip?: boolean }) => {
      if (opts.sip) {
        const { runSipDemo } = await import('./demo-sip-command.js');
        return runSipDemo({ outDir: opts.out, maxSeconds: Number(opts.seconds) });
      }
      const { runDemo } = await import('./demo-command.js');
      await runDemo({ outDir: opts.out, maxSeconds: Number(opts.seconds) });
    });

  program
    .command('migrate')
    .description('apply or inspect database migrations (needs only MYSQL_URL)')
    .addArgument(new Argument('[action]', 'what to do').choices(MIGRATE_ACTIONS).default('up'))
    .option('--steps <n>', 'for down: how many migrations to undo ("all" for every one)', '1')
    .action(async (action: MigrateAction, opts: { steps: string }) => {
      const { runMigrate } = await import('./migrate-command.js');
      printJson(await runMigrate(action, opts.steps, process.env));
    });

  const config = program.command('config').description('configuration helpers');
  config
    .command('reference')
    .description('print the configuration reference (markdown table of every environment variable)')
    .action(() => {
      process.stdout.write(`${configReferenceMarkdown()}\n`);
    });

  program.addCommand(buildCallCommand(printJson));
  program.addCommand(buildCallsCommand((text) => process.stdout.write(text), printJson));

  const routes = program.command('routes').description('routes file helpers');
  routes
    .command('check <file>')
    .description(
      'validate a routes file as `serve` would load it, environment included (every secretEnv set, secrets long enough); prints the routes',
    )
    .option('--file-only', 'check only the file itself, not the environment variables it names')
    .action((file: string, opts: { fileOnly?: boolean }) => {
      printJson(checkRoutesFile(file, { fileOnly: opts.fileOnly === true, env: process.env }));
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
    fail(err);
  }
}

await main(process.argv);
