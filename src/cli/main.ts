import { cache } from './commands/cache.js';
import { del, edit, get, history, set } from './commands/entities.js';
import { lock, unlock } from './commands/mutex.js';
import { serve } from './commands/serve.js';
import { tail } from './commands/tail.js';
import { CallError, UsageError } from './errors.js';
import { type ClientOptions, clientOptions, type ParsedCommandLine, parseCommandLine } from './options.js';
import { createOutput, type Output } from './output.js';
import { USAGE } from './usage.js';

type Command = (parsed: ParsedCommandLine, client: ClientOptions, out: Output, signal: AbortSignal) => Promise<void>;

const COMMANDS: Record<string, Command> = { get, set, edit, del, history, tail, cache, lock, unlock };

/**
 * The `stategate` command: `serve` (the default) starts the server; the others are clients of a running one
 * over its public GraphQL API (HTTP, and graphql-ws for `tail`). Exit codes: 0 done, 1 the call failed,
 * 2 a bad command line (the usage is printed).
 */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'serve') {
    if (rest.length > 0) return usageError(`serve takes no arguments (configure it with STATEGATE_* variables)`);
    await serve();
    return 0;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) return usageError(`unknown command ${JSON.stringify(name)}`);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const parsed = parseCommandLine(rest);
    if (parsed.values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const client = clientOptions(parsed, process.stdout.isTTY === true);
    await command(parsed, client, createOutput(client.json), abort.signal);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message);
    if (err instanceof CallError) {
      process.stderr.write(`stategate ${name}: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function usageError(message: string): number {
  process.stderr.write(`stategate: ${message}\n\n${USAGE}\n`);
  return 2;
}
