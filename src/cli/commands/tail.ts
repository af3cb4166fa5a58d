import { subscribe } from '../client.js';
import { allowOnly, type ClientOptions, integerOption, type ParsedCommandLine, positionals } from '../options.js';
import { inline, isoFromNanos, type Output } from '../output.js';

interface StreamedEvent {
  id: string;
  position: string;
  time: string;
  method: string;
  claims: Record<string, unknown>;
  entity: { domain: string; type: string; key: string; version: string; values: Record<string, unknown> };
}

const STREAM = `subscription($input: StreamEventOpts!) { streamEvents(input: $input) {
  id position time method claims entity { domain type key version values } } }`;

/**
 * Prints entity events live, one a line, until interrupted (Ctrl-C ends it with exit code 0) or the server
 * ends the stream. `--after <position>` first replays the log after that position, so a tail restarted with
 * the last position it printed misses nothing.
 */
export async function tail(
  parsed: ParsedCommandLine,
  client: ClientOptions,
  out: Output,
  signal: AbortSignal,
): Promise<void> {
  allowOnly(parsed, 'tail', ['domain', 'type', 'key', 'after']);
  positionals(parsed, 'tail', []);
  const glob = (name: 'domain' | 'type' | 'key') => (parsed.values[name] as string | undefined) ?? '*';
  const input = {
    domain: glob('domain'),
    type: glob('type'),
    key: glob('key'),
    after: integerOption(parsed, 'after', 0),
  };
  await subscribe<{ streamEvents: StreamedEvent }>(
    client,
    STREAM,
    { input },
    ({ streamEvents: e }) =>
      out.result(
        e,
        () =>
          `#${e.position}  ${isoFromNanos(e.time)}  ${e.method.replace(/^\/stategate\.\w+\//, '').padEnd(6)}  ` +
          `${e.entity.domain}/${e.entity.type}/${e.entity.key} v${e.entity.version}  ${inline(e.entity.values)}`,
      ),
    signal,
  );
}
