import { graphql } from '../client.js';
import { UsageError } from '../errors.js';
import { jsonArgument } from '../json-argument.js';
import { allowOnly, type ClientOptions, expiryOption, type ParsedCommandLine, positionals } from '../options.js';
import { type Output, pretty } from '../output.js';

interface CacheEntry {
  domain: string;
  key: string;
  value: unknown;
  exp: string | null;
}

/** `cache get|set|del <domain> <key> …`: the TTL cache. */
export async function cache(parsed: ParsedCommandLine, client: ClientOptions, out: Output): Promise<void> {
  const [action, ...rest] = parsed.positionals;
  const sub = { ...parsed, positionals: rest };
  switch (action) {
    case 'get': {
      allowOnly(sub, 'cache get', []);
      const [domain, key] = positionals(sub, 'cache get', ['domain', 'key']);
      const data = await graphql<{ getCache: CacheEntry }>(
        client,
        'query($input: CacheRefInput!) { getCache(input: $input) { domain key value exp } }',
        { input: { domain, key } },
      );
      const entry = data.getCache;
      out.result(
        entry,
        () => `${entry.domain}/${entry.key}${entry.exp ? ` (until ${entry.exp})` : ''}\n${pretty(entry.value)}`,
      );
      return;
    }
    case 'set': {
      allowOnly(sub, 'cache set', ['ttl', 'exp']);
      const [domain, key, raw] = positionals(sub, 'cache set', ['domain', 'key', 'json']);
      const input = { domain, key, value: jsonArgument(raw!, 'the value'), exp: expiryOption(sub) };
      await graphql(client, 'mutation($input: CacheInput!) { setCache(input: $input) }', { input });
      out.result(
        { ok: true, domain, key, exp: input.exp ?? null },
        () => `cached ${domain}/${key}${input.exp ? ` until ${input.exp}` : ''}`,
      );
      return;
    }
    case 'del': {
      allowOnly(sub, 'cache del', []);
      const [domain, key] = positionals(sub, 'cache del', ['domain', 'key']);
      await graphql(client, 'mutation($input: CacheRefInput!) { delCache(input: $input) }', { input: { domain, key } });
      out.result({ ok: true, domain, key }, () => `deleted ${domain}/${key} from the cache`);
      return;
    }
    default:
      throw new UsageError(`cache takes get, set or del${action ? `, not ${JSON.stringify(action)}` : ''}`);
  }
}
