import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Ctx } from '../lib/context.js';
import { ROOT, sleep } from '../lib/proc.js';
import { startStategate } from '../lib/stategate.js';
import { seed } from './s3-reads.js';

/**
 * CPU profiles of the server (`node --cpu-prof`) on the write path (REST Set, max load), the read path
 * (REST Get) and the fan-out path (1,000 graphql-ws subscribers × 100 events/s), summarised as the top
 * self-time functions and the share of each package. Not part of `all`: profiling slows the server.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export function summarise(file: string, top = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    total += hits;
    const url = n.callFrame.url.replace(`file://${ROOT}/`, '');
    const fn = n.callFrame.functionName || '(anonymous)';
    const where = url ? `${url}:${n.callFrame.lineNumber + 1}` : '(native)';
    const key = `${fn}\t${where}`;
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
    const pkg =
      /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.startsWith('dist/')
        ? 'stategate (dist)'
        : url.startsWith('node:')
          ? 'node core'
          : fn.startsWith('(')
            ? fn
            : 'other');
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + hits);
  }
  const pct = (h: number) => Math.round((h / Math.max(1, total)) * 1000) / 10;
  return {
    top: [...byFn.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, h]) => {
        const [fn, where] = k.split('\t');
        return { fn, where, pct: pct(h) };
      }),
    byPackage: [...byPkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([pkg, h]) => ({ pkg, pct: pct(h) })),
  };
}

export async function profile(ctx: Ctx) {
  const load = await ctx.load();
  const base = join(ROOT, 'bench/results/profiles');
  rmSync(base, { recursive: true, force: true });
  const paths: Array<Record<string, unknown>> = [];
  const run = async (path: string, loadText: string, drive: (url: string) => Promise<void>) => {
    const dir = join(base, path);
    mkdirSync(dir, { recursive: true });
    const server = await startStategate({ provider: 'sqlite', cpuProfDir: dir });
    try {
      await drive(server.url);
    } finally {
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written for ${path}`);
    paths.push({ path, load: loadText, file: `bench/results/profiles/${path}/${file}`, ...summarise(join(dir, file)) });
  };
  ctx.log('profile: write path');
  await run('write', 'REST Set, 64 connections, 10 s', async (url) => {
    await load.call('httpMax', {
      url,
      op: 'rest.set',
      params: { domain: 'prof', keys: 1000 },
      connections: 64,
      durationS: 10,
    });
  });
  ctx.log('profile: read path');
  await run('read', 'REST Get of 100 entities, 64 connections, 10 s', async (url) => {
    await seed(url, 'prof', 'doc', 100);
    await load.call('httpMax', {
      url,
      op: 'rest.get',
      params: { domain: 'prof', keys: 100 },
      connections: 64,
      durationS: 10,
    });
  });
  ctx.log('profile: fan-out path');
  await run('fanout', '1,000 graphql-ws subscribers, 100 events/s for 5 s', async (url) => {
    await load.call('subscribe', { url, transport: 'graphql-ws', n: 1000, domain: 'proffan' });
    await load.call('warm', { url, transport: 'graphql-ws', domain: 'proffan', n: 1000 });
    await load.call('publish', {
      url,
      transport: 'graphql-ws',
      domain: 'proffan',
      n: 1000,
      rate: 100,
      events: 500,
      drainS: 10,
    });
    await load.call('close');
    await sleep(500);
  });
  return { paths };
}
