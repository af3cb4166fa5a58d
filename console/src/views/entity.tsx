/**
 * One entity: its current values, its whole history (every event of its key, paged through by position),
 * a diff between any two versions, its state as of a chosen time, and Revert to any earlier event.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, request } from '../api.js';
import { diffJson, type Json } from '../diff.js';
import { href } from '../router.js';
import { formatNs, localInputToNs, nsToLocalInput } from '../time.js';
import { Empty, ErrorNote, Field, JsonBlock, useAsync } from '../ui.js';

interface Entity {
  key: string;
  version: string;
  values: Record<string, Json>;
}

interface HistoryEvent {
  id: string;
  time: string;
  method: string;
  position: string;
  claims: Record<string, Json>;
  entity: { version: string; values: Record<string, Json> };
}

const ENTITY_FIELDS = 'key version values';
const GET = `query ConsoleGetEntity($input: EntityRefInput!) { getEntity(input: $input) { ${ENTITY_FIELDS} } }`;
const HISTORY = `query ConsoleHistory($input: SearchEventOpts!) {
  searchEvents(input: $input) { events { id time method position claims entity { version values } } }
}`;
const REVERT = `mutation ConsoleRevert($input: EventRefInput!) { revertEntity(input: $input) { ${ENTITY_FIELDS} } }`;

/** The server's largest page of a search; the history is read page by page until a short one. */
const HISTORY_PAGE = 1000;

const shortMethod = (method: string) => method.slice(method.lastIndexOf('/') + 1);
const isDeletion = (event: HistoryEvent) => shortMethod(event.method) === 'Del';

async function readHistory(domain: string, type: string, key: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await request<{ searchEvents: { events: HistoryEvent[] } }>(HISTORY, {
      input: {
        domain,
        type,
        query_string: JSON.stringify({ 'entity.key': key }),
        limit: HISTORY_PAGE,
        sort: { field: 'position' },
        ...(after !== undefined ? { after } : {}),
      },
    });
    events.push(...page.searchEvents.events);
    if (page.searchEvents.events.length < HISTORY_PAGE) return events;
    after = events[events.length - 1]!.position;
  }
}

/** The current state, or null when the entity does not exist now (deleted, or never set). */
async function readCurrent(domain: string, type: string, key: string): Promise<Entity | null> {
  try {
    return (await request<{ getEntity: Entity }>(GET, { input: { domain, type, key } })).getEntity;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NOT_FOUND') return null;
    throw err;
  }
}

export function EntityPage({ domain, type, keyName }: { domain: string; type: string; keyName: string }) {
  const [data, reload] = useAsync(async () => {
    const [current, history] = await Promise.all([
      readCurrent(domain, type, keyName),
      readHistory(domain, type, keyName),
    ]);
    return { current, history };
  }, [domain, type, keyName]);
  return (
    <section aria-labelledby="entity-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href('')}>Types</a> › {domain} › <a href={href('entities', domain, type)}>{type}</a> › {keyName}
      </nav>
      <div class="title-row">
        <h1 id="entity-title">{keyName}</h1>
        <button type="button" onClick={reload}>
          Reload
        </button>
      </div>
      {data.status === 'loading' && <p aria-busy="true">Loading…</p>}
      {data.status === 'error' && <ErrorNote error={data.error} title="Could not read this entity" />}
      {data.status === 'ok' && (
        <EntityDetails
          domain={domain}
          type={type}
          keyName={keyName}
          current={data.value.current}
          history={data.value.history}
          reload={reload}
        />
      )}
    </section>
  );
}

interface DetailsProps {
  domain: string;
  type: string;
  keyName: string;
  current: Entity | null;
  history: HistoryEvent[];
  reload: () => void;
}

function EntityDetails({ domain, type, keyName, current, history, reload }: DetailsProps) {
  const versions = useMemo(() => history.map((e) => e.entity.version), [history]);
  const latest = versions[versions.length - 1];
  const [left, setLeft] = useState(versions[versions.length - 2] ?? latest ?? '');
  const [right, setRight] = useState(latest ?? '');
  useEffect(() => {
    setLeft(versions[versions.length - 2] ?? latest ?? '');
    setRight(latest ?? '');
  }, [versions, latest]);

  if (history.length === 0) {
    return (
      <Empty>
        <p>
          This entity has no history: it was never set (or your token may not read its events). Check the domain, type
          and key.
        </p>
      </Empty>
    );
  }
  return (
    <>
      <div class="grid">
        <section aria-labelledby="current-title">
          <h2 id="current-title">Current values</h2>
          {current ? (
            <>
              <p>
                Version <strong data-testid="current-version">{current.version}</strong>
              </p>
              <JsonBlock value={current.values} label="current values" />
            </>
          ) : (
            <Empty>
              <p>Deleted: the entity does not exist now. Its history stays below; revert to an event to restore it.</p>
            </Empty>
          )}
        </section>
        <TimeTravel domain={domain} type={type} keyName={keyName} first={history[0]!.time} />
      </div>
      <Timeline
        history={history}
        domain={domain}
        type={type}
        keyName={keyName}
        current={current}
        left={left}
        right={right}
        setLeft={setLeft}
        setRight={setRight}
        reload={reload}
      />
      <Diff history={history} left={left} right={right} setLeft={setLeft} setRight={setRight} />
    </>
  );
}

function TimeTravel({
  domain,
  type,
  keyName,
  first,
}: {
  domain: string;
  type: string;
  keyName: string;
  first: string;
}) {
  const [at, setAt] = useState(() => nsToLocalInput((BigInt(Date.now()) * 1_000_000n).toString()));
  const [answer, setAnswer] = useState<{ at: string; entity: Entity | null } | { error: unknown } | null>(null);
  const travel = async (e: Event) => {
    e.preventDefault();
    const ns = localInputToNs(at);
    if (ns === null) {
      setAnswer({ error: new ApiError('pick a date and time', 'INVALID_ARGUMENT') });
      return;
    }
    try {
      const entity = (await request<{ getEntity: Entity }>(GET, { input: { domain, type, key: keyName, at: ns } }))
        .getEntity;
      setAnswer({ at: ns, entity });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'NOT_FOUND') setAnswer({ at: ns, entity: null });
      else setAnswer({ error: err });
    }
  };
  return (
    <section aria-labelledby="travel-title">
      <h2 id="travel-title">Time travel</h2>
      <form class="inline" onSubmit={travel}>
        <Field label="State as of (your local time)" hint={`first change: ${formatNs(first)}`}>
          <input
            type="datetime-local"
            step="0.001"
            name="at"
            value={at}
            onInput={(e) => setAt(e.currentTarget.value)}
          />
        </Field>
        <button type="submit">Show state</button>
      </form>
      {answer && 'error' in answer && <ErrorNote error={answer.error} />}
      {answer && 'at' in answer && (
        <div data-testid="time-travel-result">
          <p>As of {formatNs(answer.at)}:</p>
          {answer.entity ? (
            <>
              <p>
                version <strong>{answer.entity.version}</strong>
              </p>
              <JsonBlock value={answer.entity.values} label="values at that time" />
            </>
          ) : (
            <Empty>
              <p>The entity did not exist at that time (not yet created, or deleted then).</p>
            </Empty>
          )}
        </div>
      )}
    </section>
  );
}

interface TimelineProps {
  history: HistoryEvent[];
  domain: string;
  type: string;
  keyName: string;
  current: Entity | null;
  left: string;
  right: string;
  setLeft: (v: string) => void;
  setRight: (v: string) => void;
  reload: () => void;
}

function Timeline(props: TimelineProps) {
  const { history, domain, type, keyName, current, left, right, setLeft, setRight, reload } = props;
  const [confirming, setConfirming] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ ok: string } | { error: unknown } | null>(null);
  const shownVersion = current?.version ?? null;

  /**
   * Revert only from the state this page shows: the version it shows is the precondition (-1 when it shows
   * the entity deleted), so the server refuses with ABORTED when another client changed it meanwhile.
   */
  const revert = async (event: HistoryEvent) => {
    setOutcome(null);
    try {
      const version = shownVersion ?? '-1';
      const reverted = (
        await request<{ revertEntity: Entity }>(REVERT, {
          input: { domain, type, key: keyName, id: event.id, version },
        }).catch((err: unknown) => {
          if (err instanceof ApiError && err.code === 'ABORTED') {
            throw new ApiError(
              `the entity changed since this page loaded (it is no longer ${shownVersion ? `version ${shownVersion}` : 'deleted'}): nothing was reverted`,
              'ABORTED',
            );
          }
          throw err;
        })
      ).revertEntity;
      setOutcome({ ok: `Reverted to version ${event.entity.version}: now version ${reverted.version}.` });
      setConfirming(null);
      reload();
    } catch (err) {
      setConfirming(null);
      setOutcome({ error: err });
    }
  };

  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History ({history.length} events)</h2>
      {outcome && 'ok' in outcome && (
        <p class="note ok" role="status">
          {outcome.ok}
        </p>
      )}
      {outcome && 'error' in outcome && <ErrorNote error={outcome.error} title="Revert refused" />}
      <div class="scroll">
        <table class="timeline">
          <caption class="sr-only">
            Every event of this entity, oldest first. Pick versions A and B to compare them.
          </caption>
          <thead>
            <tr>
              <th scope="col">A</th>
              <th scope="col">B</th>
              <th scope="col" class="num">
                Version
              </th>
              <th scope="col">Change</th>
              <th scope="col">Time</th>
              <th scope="col">By</th>
              <th scope="col" class="num">
                Position
              </th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {history.map((event) => {
              const version = event.entity.version;
              const isCurrent = current !== null && version === current.version;
              return (
                <tr key={event.id} data-version={version} class={isCurrent ? 'current' : ''}>
                  <td>
                    <input
                      type="radio"
                      name="diff-left"
                      aria-label={`compare from version ${version}`}
                      checked={left === version}
                      onChange={() => setLeft(version)}
                    />
                  </td>
                  <td>
                    <input
                      type="radio"
                      name="diff-right"
                      aria-label={`compare to version ${version}`}
                      checked={right === version}
                      onChange={() => setRight(version)}
                    />
                  </td>
                  <td class="num">{version}</td>
                  <td>
                    <span class={`method m-${shortMethod(event.method).toLowerCase()}`}>
                      {shortMethod(event.method)}
                    </span>
                  </td>
                  <td>
                    <time>{formatNs(event.time)}</time>
                  </td>
                  <td>{typeof event.claims.sub === 'string' ? event.claims.sub : '—'}</td>
                  <td class="num">{event.position}</td>
                  <td>
                    {isCurrent || isDeletion(event) ? null : confirming === event.id ? (
                      <span class="confirm">
                        <button
                          type="button"
                          class="danger"
                          // The button that asked is gone: keyboard focus moves to the confirmation.
                          ref={(el) => el?.focus()}
                          onClick={() => revert(event)}
                        >
                          Revert to v{version} (if still v{shownVersion ?? 'deleted'})
                        </button>
                        <button type="button" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button
                        type="button"
                        aria-label={`Revert to version ${version}`}
                        onClick={() => setConfirming(event.id)}
                      >
                        Revert…
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

interface DiffProps {
  history: HistoryEvent[];
  left: string;
  right: string;
  setLeft: (v: string) => void;
  setRight: (v: string) => void;
}

function Diff({ history, left, right, setLeft, setRight }: DiffProps) {
  const stateOf = (version: string) => {
    const event = history.find((e) => e.entity.version === version);
    // A deletion's event records the state it removed; after it the entity has no values.
    return event && !isDeletion(event) ? event.entity.values : undefined;
  };
  const changes = diffJson(stateOf(left), stateOf(right));
  const options = history.map((e) => (
    <option key={e.id} value={e.entity.version}>
      v{e.entity.version} ({shortMethod(e.method)})
    </option>
  ));
  return (
    <section aria-labelledby="diff-title">
      <h2 id="diff-title">Diff</h2>
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <Field label="From (A)">
          <select name="from" value={left} onChange={(e) => setLeft(e.currentTarget.value)}>
            {options}
          </select>
        </Field>
        <Field label="To (B)">
          <select name="to" value={right} onChange={(e) => setRight(e.currentTarget.value)}>
            {options}
          </select>
        </Field>
      </form>
      {changes.length === 0 ? (
        <Empty>
          <p>
            No difference between v{left} and v{right}.
          </p>
        </Empty>
      ) : (
        <div class="scroll">
          <table class="diff" data-testid="diff">
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Change</th>
                <th scope="col">v{left}</th>
                <th scope="col">v{right}</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((c) => (
                <tr key={c.path} class={`d-${c.kind}`}>
                  <td>
                    <code>{c.path}</code>
                  </td>
                  <td>{c.kind}</td>
                  <td>{c.before === undefined ? '—' : <code>{JSON.stringify(c.before)}</code>}</td>
                  <td>{c.after === undefined ? '—' : <code>{JSON.stringify(c.after)}</code>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
