import { join } from 'node:path';
import { type Ctx, measureMax, ratio } from '../lib/context.js';
import { LOAD_CORE, ROOT, spawnPinned, waitForLine } from '../lib/proc.js';
import { freePort, startStategate } from '../lib/stategate.js';
import { median } from '../lib/stats.js';
import { seed } from './s3-reads.js';

/**
 * S9 policy and auth cost: the same Get (REST and gRPC) on two servers side by side — one without auth, one
 * verifying an ES256 JWT against a JWKS (examples/auth/dev-issuer.mjs) and running a Rego request policy
 * (own domain) and a response policy (hide `hidden: true`). Runs alternate between the two servers so noise
 * hits both alike.
 */
export async function s9(ctx: Ctx) {
  const issuerPort = await freePort();
  const issuer = spawnPinned(LOAD_CORE, [
    process.execPath,
    join(ROOT, 'examples/auth/dev-issuer.mjs'),
    String(issuerPort),
  ]);
  await waitForLine(issuer, (l) => l.includes('dev issuer'));
  const issuerUrl = `http://127.0.0.1:${issuerPort}`;
  const domain = 'authbench';
  const token = await (await fetch(`${issuerUrl}/token?sub=${domain}&ttl=3600`)).text();
  const plain = await startStategate({ provider: 'sqlite' });
  const secured = await startStategate({
    provider: 'sqlite',
    env: {
      STATEGATE_JWKS_URI: `${issuerUrl}/.well-known/jwks.json`,
      STATEGATE_REQUEST_POLICY_FILE: join(ROOT, 'bench/policies/own-domain.rego'),
      STATEGATE_RESPONSE_POLICY_FILE: join(ROOT, 'bench/policies/response-filter.rego'),
      STATEGATE_OPA_PATH: process.env.BENCH_OPA_PATH ?? join(process.env.HOME ?? '/root', 'go/bin/opa'),
    },
  });
  try {
    await seed(plain.url, domain, 'doc', 100);
    await seedWithToken(secured.url, domain, token);
    const headers = { authorization: `Bearer ${token}` };
    const rows: Record<string, unknown>[] = [];
    for (const [transport, proto, op] of [
      ['rest', 'http', 'rest.get'],
      ['grpc', 'grpc', 'grpc.get'],
    ] as const) {
      ctx.log(`S9 ${transport} Get with and without JWT + policies`);
      const without: number[] = [];
      const withAuth: number[] = [];
      let errors = 0;
      for (let i = 0; i < ctx.runs; i++) {
        const a = await measureMax(ctx, proto, plain.url, op, { domain, type: 'doc', keys: 100 }, 1);
        const b = await measureMax(ctx, proto, secured.url, op, { domain, type: 'doc', keys: 100, headers }, 1);
        without.push(a.opsPerS);
        withAuth.push(b.opsPerS);
        errors += b.errors;
      }
      const r = ratio(median(withAuth), median(without));
      rows.push({
        transport,
        withoutPerS: median(without),
        withAuthPerS: median(withAuth),
        runs: { without, withAuth },
        errors,
        ratio: r,
        cost: Math.round((1 - r) * 1000) / 1000,
      });
    }
    return { rows };
  } finally {
    await plain.stop();
    await secured.stop();
    await issuer.stop();
  }
}

async function seedWithToken(url: string, domain: string, token: string) {
  for (let k = 0; k < 100; k++) {
    const res = await fetch(`${url}/api/entity/ref/${domain}/doc/k${k}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ values: { first_name: 'Coleman', n: k } }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`seed with token: HTTP ${res.status}`);
  }
}
