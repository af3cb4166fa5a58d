import { graphql } from '../client.js';
import { allowOnly, type ClientOptions, expiryOption, type ParsedCommandLine, positionals } from '../options.js';
import type { Output } from '../output.js';

interface MutexLease {
  domain: string;
  key: string;
  token: string;
  fencing: string;
  exp: string;
}

/** `lock <domain> <key>`: takes the mutex (ABORTED when someone holds it) and prints the lease. */
export async function lock(parsed: ParsedCommandLine, client: ClientOptions, out: Output): Promise<void> {
  allowOnly(parsed, 'lock', ['ttl', 'exp']);
  const [domain, key] = positionals(parsed, 'lock', ['domain', 'key']);
  const data = await graphql<{ lockMutex: MutexLease }>(
    client,
    'mutation($input: MutexInput!) { lockMutex(input: $input) { domain key token fencing exp } }',
    { input: { domain, key, exp: expiryOption(parsed) } },
  );
  const lease = data.lockMutex;
  out.result(
    lease,
    () =>
      `locked ${lease.domain}/${lease.key} until ${lease.exp} (fencing ${lease.fencing})\n` +
      `token ${lease.token}  (release: stategate unlock ${lease.domain} ${lease.key} --lease ${lease.token})`,
  );
}

/** `unlock <domain> <key> [--lease T]`: releases the mutex (with a lease's token, only if that lease holds it). */
export async function unlock(parsed: ParsedCommandLine, client: ClientOptions, out: Output): Promise<void> {
  allowOnly(parsed, 'unlock', ['lease']);
  const [domain, key] = positionals(parsed, 'unlock', ['domain', 'key']);
  await graphql(client, 'mutation($input: MutexRefInput!) { unlockMutex(input: $input) }', {
    input: { domain, key, token: parsed.values.lease as string | undefined },
  });
  out.result({ ok: true, domain, key }, () => `unlocked ${domain}/${key}`);
}
