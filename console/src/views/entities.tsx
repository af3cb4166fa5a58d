/**
 * The entities of one domain and type (searchEntities): the filter language of the API (a JSON filter, a
 * safe MongoDB subset), a sort field with direction, and pages. The form state lives in the URL.
 */
import { useState } from 'preact/hooks';
import { request } from '../api.js';
import { href, navigate } from '../router.js';
import { Empty, ErrorNote, Field, useAsync } from '../ui.js';

interface Entity {
  key: string;
  version: string;
  values: Record<string, unknown>;
}

const SEARCH = `query ConsoleSearchEntities($input: SearchEntityOpts!) {
  searchEntities(input: $input) { entities { key version values } }
}`;

const PAGE_SIZES = [10, 25, 50, 100];

function preview(values: Record<string, unknown>): string {
  const text = JSON.stringify(values);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

export function Entities({ domain, type, search }: { domain: string; type: string; search: URLSearchParams }) {
  const filter = search.get('q') ?? '';
  const sort = search.get('sort') ?? '';
  const reverse = search.get('reverse') === '1';
  const size = Number(search.get('size') ?? 25) || 25;
  const page = Math.max(0, Number(search.get('page') ?? 0) || 0);
  const [draft, setDraft] = useState({ filter, sort, reverse, size });

  const [result] = useAsync(
    () =>
      request<{ searchEntities: { entities: Entity[] } }>(SEARCH, {
        input: {
          domain,
          type,
          limit: size + 1, // one more than shown tells whether a next page exists
          offset: page * size,
          ...(filter.trim() !== '' ? { query_string: filter } : {}),
          ...(sort.trim() !== '' ? { sort: { field: sort.trim(), reverse } } : {}),
        },
      }).then((d) => d.searchEntities.entities),
    [domain, type, filter, sort, reverse, size, page],
  );

  const go = (next: { filter: string; sort: string; reverse: boolean; size: number; page: number }) => {
    const params = new URLSearchParams();
    if (next.filter.trim()) params.set('q', next.filter);
    if (next.sort.trim()) params.set('sort', next.sort.trim());
    if (next.reverse) params.set('reverse', '1');
    if (next.size !== 25) params.set('size', String(next.size));
    if (next.page > 0) params.set('page', String(next.page));
    const query = params.toString();
    navigate(`${href('entities', domain, type)}${query ? `?${query}` : ''}`);
  };

  const entities = result.status === 'ok' ? result.value.slice(0, size) : [];
  const hasNext = result.status === 'ok' && result.value.length > size;

  return (
    <section aria-labelledby="entities-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={`${href('')}`}>Types</a> › {domain} › {type}
      </nav>
      <h1 id="entities-title">
        {domain} / {type}
      </h1>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ ...draft, page: 0 });
        }}
      >
        <Field
          label="Filter (JSON)"
          hint='e.g. {"age": {"$gte": 21}} — $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $not; _id = key'
        >
          <input
            name="filter"
            value={draft.filter}
            spellcheck={false}
            placeholder='{"status": "active"}'
            onInput={(e) => setDraft({ ...draft, filter: e.currentTarget.value })}
          />
        </Field>
        <Field label="Sort by" hint="a path inside values, or _id; empty = by key">
          <input
            name="sort"
            value={draft.sort}
            spellcheck={false}
            placeholder="_id"
            onInput={(e) => setDraft({ ...draft, sort: e.currentTarget.value })}
          />
        </Field>
        <label class="check">
          <input
            type="checkbox"
            name="reverse"
            checked={draft.reverse}
            onChange={(e) => setDraft({ ...draft, reverse: e.currentTarget.checked })}
          />
          Descending
        </label>
        <Field label="Per page">
          <select
            name="size"
            value={String(draft.size)}
            onChange={(e) => setDraft({ ...draft, size: Number(e.currentTarget.value) })}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit">Search</button>
      </form>
      {result.status === 'loading' && <p aria-busy="true">Loading…</p>}
      {result.status === 'error' && <ErrorNote error={result.error} title="The search failed" />}
      {result.status === 'ok' && entities.length === 0 && (
        <Empty>
          {page > 0 ? (
            <p>No more entities on this page: go back a page.</p>
          ) : filter ? (
            <p>No entity matches this filter. Loosen it, or clear it to see all.</p>
          ) : (
            <p>No live entities of this type (they may have been deleted, or your token may not see them).</p>
          )}
        </Empty>
      )}
      {entities.length > 0 && (
        <div class="scroll">
          <table class="entities">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col" class="num">
                  Version
                </th>
                <th scope="col">Values</th>
              </tr>
            </thead>
            <tbody>
              {entities.map((e) => (
                <tr key={e.key}>
                  <td>
                    <a href={href('entity', domain, type, e.key)}>{e.key}</a>
                  </td>
                  <td class="num">{e.version}</td>
                  <td>
                    <code>{preview(e.values)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={page === 0} onClick={() => go({ filter, sort, reverse, size, page: page - 1 })}>
          ‹ Previous
        </button>
        <span>Page {page + 1}</span>
        <button type="button" disabled={!hasNext} onClick={() => go({ filter, sort, reverse, size, page: page + 1 })}>
          Next ›
        </button>
      </nav>
    </section>
  );
}
