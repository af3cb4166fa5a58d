import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

/** What every client command takes: where the server is, the credential, and the output style. */
export interface ClientOptions {
  url: string;
  token?: string;
  json: boolean;
}

export const DEFAULT_URL = 'http://localhost:8080';

/** Options any command may get; each command says which of the rest it reads. */
const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  version: { type: 'string' },
  at: { type: 'string' },
  limit: { type: 'string' },
  domain: { type: 'string' },
  type: { type: 'string' },
  key: { type: 'string' },
  after: { type: 'string' },
  ttl: { type: 'string' },
  exp: { type: 'string' },
  lease: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type OptionName = keyof typeof OPTIONS;

export interface ParsedCommandLine {
  positionals: string[];
  values: Partial<Record<OptionName, string | boolean>>;
}

/** Parses argv strictly: an unknown option or one without its value is a UsageError. */
export function parseCommandLine(argv: string[]): ParsedCommandLine {
  try {
    const { positionals, values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    return { positionals, values };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The client options of a parsed command line; JSON when asked or when stdout is not a terminal. */
export function clientOptions(parsed: ParsedCommandLine, stdoutIsTerminal: boolean): ClientOptions {
  const url = (parsed.values.url as string | undefined) ?? DEFAULT_URL;
  try {
    const protocol = new URL(url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') throw new Error(protocol);
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL, not ${JSON.stringify(url)}`);
  }
  const token = parsed.values.token as string | undefined;
  if (token !== undefined && token.trim() === '') throw new UsageError('--token is empty');
  return { url: url.replace(/\/+$/, ''), token, json: parsed.values.json === true || !stdoutIsTerminal };
}

/** Only the options a command reads: any other one is a mistake worth saying. */
export function allowOnly(parsed: ParsedCommandLine, command: string, allowed: readonly OptionName[]): void {
  const common: OptionName[] = ['url', 'token', 'json', 'help'];
  for (const name of Object.keys(parsed.values) as OptionName[]) {
    if (!common.includes(name) && !allowed.includes(name)) throw new UsageError(`${command} takes no --${name}`);
  }
}

/** Exactly `names.length` positional arguments, named in the error when some are missing or extra. */
export function positionals(parsed: ParsedCommandLine, command: string, names: readonly string[]): string[] {
  const given = parsed.positionals;
  if (given.length !== names.length) {
    throw new UsageError(`${command} takes ${names.map((n) => `<${n}>`).join(' ')} (got ${given.length} arguments)`);
  }
  return given;
}

/** A decimal integer option (Int64 values are sent as decimal strings), or undefined when absent. */
export function integerOption(parsed: ParsedCommandLine, name: OptionName, min: number): string | undefined {
  const raw = parsed.values[name] as string | undefined;
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw) || BigInt(raw) < BigInt(min)) throw new UsageError(`--${name} must be an integer >= ${min}`);
  return raw;
}

/** `--exp <time>` as given, or `--ttl <seconds>` from now, as an RFC 3339 time; undefined when neither. */
export function expiryOption(parsed: ParsedCommandLine): string | undefined {
  const exp = parsed.values.exp as string | undefined;
  const ttl = parsed.values.ttl as string | undefined;
  if (exp !== undefined && ttl !== undefined) throw new UsageError('give --ttl or --exp, not both');
  if (exp !== undefined) {
    if (Number.isNaN(Date.parse(exp)))
      throw new UsageError(`--exp must be an RFC 3339 time, not ${JSON.stringify(exp)}`);
    return exp;
  }
  if (ttl === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(ttl) || Number(ttl) <= 0) throw new UsageError('--ttl must be a number of seconds > 0');
  return new Date(Date.now() + Number(ttl) * 1000).toISOString();
}

/** `--at <RFC 3339 time>` as nanoseconds since the epoch (what getEntity's `at` takes). */
export function atOption(parsed: ParsedCommandLine): string | undefined {
  const at = parsed.values.at as string | undefined;
  if (at === undefined) return undefined;
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new UsageError(`--at must be an RFC 3339 time, not ${JSON.stringify(at)}`);
  return (BigInt(ms) * 1_000_000n).toString();
}
