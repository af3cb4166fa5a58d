/**
 * Every shell and GraphQL example of README.md, run in README order against `node dist/main.js` (on a free
 * port instead of 8080): each ```sh block as a bash script, each ```graphql block as a GraphQL request (a
 * subscription over graphql-ws). Blocks are found by their fence's language, so a new example is run without
 * touching this test. The only ones skipped are those the README marks, right above the fence, with
 * `<!-- README example not run: <reason> -->` (deployment, configuration values for servers of yours, …) and the
 * named security walk-through (`<!-- README example: security-… -->`), which readme-security.e2e.test.ts runs;
 * jest lists each skipped one with its reason.
 *
 * Shell blocks run as written, with three helpers in front: `curl` fails on an HTTP error status
 * (`--fail-with-body`), streaming commands (`curl -N`, a grpcurl `…/Stream`, `stategate tail`) run until they
 * printed their first event and are then stopped, and `npx stategate` is this checkout's CLI pointed at the
 * test server. Meanwhile a writer sets an entity in the `accounting` domain every half second, so live-only
 * streams have something to show.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { collect, gql, wsClient } from '../support/graphql.js';
import { type StoredServerProcess, spawnStoredServer } from '../support/process.js';

interface Block {
  lang: 'sh' | 'graphql';
  /** Line of the opening fence in README.md (1-based). */
  line: number;
  code: string;
  /** Why it is not run (from the README's marker), when it is not. */
  skip?: string;
}

const README_LINES = readFileSync('README.md', 'utf8').split('\n');
const NOT_RUN = /^<!-- README example not run: (.+) -->$/;
const NAMED = /^<!-- README example: (security-[\w-]+) -->$/;

/** The README's ```sh and ```graphql blocks, in order, each with its skip reason if marked. */
function readmeBlocks(): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < README_LINES.length; i++) {
    const fence = /^```(sh|graphql)\s*$/.exec(README_LINES[i]!);
    if (!fence) continue;
    const end = README_LINES.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    let above = i - 1;
    while (above >= 0 && README_LINES[above]!.trim() === '') above--;
    const marker = README_LINES[above]?.trim() ?? '';
    const skip =
      NOT_RUN.exec(marker)?.[1] ??
      (NAMED.test(marker) ? 'the security walk-through: test/e2e/readme-security.e2e.test.ts runs it' : undefined);
    blocks.push({
      lang: fence[1] as Block['lang'],
      line: i + 1,
      code: README_LINES.slice(i + 1, end).join('\n'),
      skip,
    });
    i = end;
  }
  return blocks;
}

const BLOCKS = readmeBlocks();
const goBin = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim() + '/bin';

let server: StoredServerProcess;
let port: string;
const graphqlUrl = () => `${server.url}/api/graphql`;
/** The README's address (port 8080) as this test's server. */
const withPort = (text: string) => text.replace(/(127\.0\.0\.1|localhost):8080\b/g, `127.0.0.1:${port}`);

beforeAll(async () => {
  server = await spawnStoredServer({ STATEGATE_METRICS_PORT: '0' });
  port = new URL(server.url).port;
});

afterAll(async () => {
  await server?.close();
});

/**
 * Placeholders a README example asks the reader to fill in, and how this test fills them. An example with
 * another `<…>` placeholder fails until it gets a row here.
 */
const PLACEHOLDERS: Record<string, () => Promise<string>> = {
  '<an event id from the search above>': async () => {
    const res = await gql<{ searchEvents: { events: Array<{ id: string }> } }>(
      graphqlUrl(),
      `{ searchEvents(input: { domain: "accounting", type: "user", limit: 1,
          query_string: "{\\"entity.key\\": \\"coleman.word@example.com\\"}" }) { events { id } } }`,
    );
    const id = res.data?.searchEvents.events[0]?.id;
    if (!id) throw new Error('no event of coleman.word@example.com to revert to');
    return id;
  },
};

async function fillPlaceholders(code: string): Promise<string> {
  let filled = code;
  for (const [placeholder, value] of Object.entries(PLACEHOLDERS)) {
    if (filled.includes(placeholder)) filled = filled.replaceAll(placeholder, await value());
  }
  const left = /"<[^">]+>"/.exec(filled);
  if (left) throw new Error(`the example has a placeholder this test cannot fill: ${left[0]}`);
  return filled;
}

/** Another client's writes to `accounting`, until the subscription got its first payload. */
async function writeUntil(done: () => boolean): Promise<void> {
  for (let n = 1; !done(); n++) {
    if (n > 150) throw new Error('the subscription received nothing in 150 writes');
    await gql(
      graphqlUrl(),
      'mutation($v: JSON!) { setEntity(input: {domain: "accounting", type: "user", key: "readme.writer", values: $v}) }',
      {
        v: { n },
      },
    );
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function runGraphql(code: string): Promise<void> {
  const query = await fillPlaceholders(code);
  if (/^\s*subscription\b/.test(query)) {
    const client = wsClient(graphqlUrl().replace(/^http/, 'ws'));
    try {
      const stream = collect(client, query, {});
      await writeUntil(() => stream.items.length > 0);
      stream.stop();
      expect(stream.items[0]!.errors).toBeUndefined();
      expect(stream.items[0]!.data).toBeTruthy();
    } finally {
      await client.dispose();
    }
    return;
  }
  const res = await gql(graphqlUrl(), query);
  expect(res.errors).toBeUndefined();
  expect(res.status).toBe(200);
  expect(res.data).toBeTruthy();
}

/** What runs before each shell block: the helpers of the file comment, and the background writer. */
const PRELUDE = String.raw`
set -eo pipefail
export PATH="${goBin}:$PATH"
SERVER="http://127.0.0.1:$PORT"
# The README sets B once (its REST block) and uses it in later blocks too, as in one shell session.
B="$SERVER"
# Runs a streaming command until it printed an event (a "position"), 30 s at most, then stops it.
stream() {
  local out; out="$(mktemp)"
  "$@" >"$out" 2>&1 &
  local pid=$! waited=0
  until grep -q position "$out" || ! kill -0 "$pid" 2>/dev/null || ((waited++ >= 300)); do sleep 0.1; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  cat "$out"
  grep -q position "$out" || { echo "stream printed no event: $*" >&2; return 1; }
}
curl() {
  if [[ " $* " == *" -N "* ]]; then stream command curl "$@"; else command curl --fail-with-body "$@"; fi
}
grpcurl() {
  if [[ "$*" == */Stream* ]]; then stream command grpcurl "$@"; else command grpcurl "$@"; fi
}
npx() {
  if [[ "$1" != stategate ]]; then command npx "$@"; return; fi
  shift
  if [[ "$1" == tail ]]; then stream node "$ROOT/bin/stategate.mjs" "$@" --url "$SERVER"
  else node "$ROOT/bin/stategate.mjs" "$@" --url "$SERVER"; fi
}
( n=0; while sleep 0.5; do n=$((n + 1))
    command curl -s -o /dev/null "$SERVER/api/graphql" -H 'content-type: application/json' \
      -d "{\"query\": \"mutation { setEntity(input: {domain: \\\"accounting\\\", type: \\\"user\\\", key: \\\"readme.writer\\\", values: {n: $n}}) }\"}" || true
  done ) &
writer=$!
trap 'kill $writer 2>/dev/null || true' EXIT
`;

function runShell(code: string): void {
  const result = spawnSync('bash', ['-c', `${PRELUDE}\n${withPort(code)}`], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: port, ROOT: resolve('.') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`exit ${result.status ?? result.signal}:\n${output}`);
  // An error answer a command did not fail on (a GraphQL error inside an HTTP 200, a CLI's refusal).
  expect(output).not.toMatch(/"errors"\s*:|"code"\s*:\s*"[A-Z_]+"|stategate \w+: [A-Z_]+: /);
}

it('finds the README examples: several of each kind, and every skipped one says why', () => {
  expect(BLOCKS.filter((b) => b.lang === 'sh' && !b.skip).length).toBeGreaterThanOrEqual(5);
  expect(BLOCKS.filter((b) => b.lang === 'graphql' && !b.skip).length).toBeGreaterThanOrEqual(4);
  for (const block of BLOCKS.filter((b) => b.skip)) expect(block.skip!.trim().length).toBeGreaterThan(10);
});

describe('README examples, in order', () => {
  for (const block of BLOCKS) {
    const title = `README.md:${block.line} ${block.lang}: ${block.code.split('\n')[0]!.slice(0, 70)}`;
    if (block.skip) {
      it.skip(`${title} — not run: ${block.skip}`, () => {});
      continue;
    }
    it(title, async () => {
      if (block.lang === 'graphql') await runGraphql(block.code);
      else runShell(block.code);
    });
  }
});
