import { Command, CommanderError } from 'commander';
import { parseRoutesFile } from '../config/load-config.js';
import { isAppError } from '../errors/app-error.js';
import { buildCallCommand } from './call-command.js';
import { configReferenceMarkdown } from './config-command.js';
import { EXIT } from './exit-codes.js';
import { readFileSync } from 'node:fs';

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
    .action(async () => {
      const { runServe } = await import('./serve-command.js');
      await runServe();
    });

  program
    .command('demo')
    .description('place a simulated call through the real service (no PBX, no API key needed)')
    .option('--out <dir>', 'where to write the call recording and summary', 'out/demo')
    .option('--seconds <n>', 'longest call length in seconds', '20')
    .action(async (opts: { out: string; seconds: string }) => {
      const { runDemo } = await import('./demo-command.js');
      await runDemo({ outDir: opts.out, maxSeconds: Number(opts.seconds) });
    });

  program
    .command('migrate')
    .description('apply or inspect database migrations (MYSQL_URL)')
    .argument('[action]', 'up | down | status', 'up')
    .option('--steps <n>', 'for down: how many migrations to undo ("all" for every one)', '1')
    .action(async (action: string, opts: { steps: string }) => {
      const { runMigrate } = await import('./migrate-command.js');
      printJson(await runMigrate(action, opts.steps));
    });

  const config = program.command('config').description('configuration helpers');
  config
    .command('reference')
    .description('print the configuration reference (markdown table of every environment variable)')
    .action(() => {
      process.stdout.write(`${configReferenceMarkdown()}\n`);
    });

  program.addCommand(buildCallCommand(printJson));

  const routes = program.command('routes').description('routes file helpers');
  routes
    .command('check <file>')
    .description('validate a routes file; prints the routes as loaded')
    .action((file: string) => {
      const loaded = parseRoutesFile(file, readFileSync(file, 'utf8'));
      printJson({ ok: true, routes: loaded.map((r) => ({ name: r.name, agent: r.agent.kind, match: r.match })) });
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
