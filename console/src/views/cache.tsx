/** The TTL cache: get, set (any JSON value, optional time to live) and delete one key. */
import { useState } from 'preact/hooks';
import { request } from '../api.js';
import { ErrorNote, Field, JsonBlock, parseJsonInput } from '../ui.js';

interface CacheEntry {
  domain: string;
  key: string;
  value: unknown;
  exp: string | null;
}

const GET = `query ConsoleGetCache($input: CacheRefInput!) { getCache(input: $input) { domain key value exp } }`;
const SET = `mutation ConsoleSetCache($input: CacheInput!) { setCache(input: $input) }`;
const DEL = `mutation ConsoleDelCache($input: CacheRefInput!) { delCache(input: $input) }`;

type Outcome = { entry: CacheEntry } | { done: string } | { error: unknown } | null;

export function Cache() {
  const [form, setForm] = useState({ domain: 'app', key: 'greeting', value: '"hello"', ttl: '' });
  const [outcome, setOutcome] = useState<Outcome>(null);
  const ref = { domain: form.domain, key: form.key };

  const run = async (action: () => Promise<Outcome>) => {
    try {
      setOutcome(await action());
    } catch (err) {
      setOutcome({ error: err });
    }
  };
  const get = () =>
    run(async () => ({ entry: (await request<{ getCache: CacheEntry }>(GET, { input: ref })).getCache }));
  const set = () =>
    run(async () => {
      const value = parseJsonInput('value', form.value);
      const ttl = Number(form.ttl);
      const exp = form.ttl.trim() !== '' && ttl > 0 ? new Date(Date.now() + ttl * 1000).toISOString() : undefined;
      await request(SET, { input: { ...ref, value, ...(exp ? { exp } : {}) } });
      return { done: exp ? `Set; expires ${new Date(exp).toLocaleString()}.` : 'Set; it never expires.' };
    });
  const del = () =>
    run(async () => {
      await request(DEL, { input: ref });
      return { done: 'Deleted.' };
    });

  return (
    <section aria-labelledby="cache-title">
      <h1 id="cache-title">Cache</h1>
      <form
        class="stack narrow"
        onSubmit={(e) => {
          e.preventDefault();
          void get();
        }}
      >
        <Field label="Domain">
          <input
            name="domain"
            value={form.domain}
            onInput={(e) => setForm({ ...form, domain: e.currentTarget.value })}
          />
        </Field>
        <Field label="Key">
          <input name="key" value={form.key} onInput={(e) => setForm({ ...form, key: e.currentTarget.value })} />
        </Field>
        <Field label="Value (any JSON, for Set)">
          <textarea
            name="value"
            rows={3}
            value={form.value}
            onInput={(e) => setForm({ ...form, value: e.currentTarget.value })}
          />
        </Field>
        <Field label="Time to live, seconds (for Set; empty = never expires)">
          <input
            name="ttl"
            inputMode="numeric"
            value={form.ttl}
            onInput={(e) => setForm({ ...form, ttl: e.currentTarget.value })}
          />
        </Field>
        <div class="row">
          <button type="submit">Get</button>
          <button type="button" onClick={set}>
            Set
          </button>
          <button type="button" class="danger" onClick={del}>
            Delete
          </button>
        </div>
      </form>
      {outcome && 'error' in outcome && <ErrorNote error={outcome.error} />}
      {outcome && 'done' in outcome && (
        <p class="note ok" role="status">
          {outcome.done}
        </p>
      )}
      {outcome && 'entry' in outcome && (
        <div data-testid="cache-entry">
          <p>{outcome.entry.exp ? `Expires ${new Date(outcome.entry.exp).toLocaleString()}` : 'Never expires'}</p>
          <JsonBlock value={outcome.entry.value} label="cached value" />
        </div>
      )}
    </section>
  );
}
