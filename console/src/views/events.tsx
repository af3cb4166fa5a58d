/**
 * The live event tail (streamEvents) with domain/type/key globs. Pause ends the subscription and keeps the
 * last position seen; Resume opens a new one with `after` = that position, so the server replays what was
 * committed meanwhile and then continues live: no gap, no duplicate (G6).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, subscribe } from '../api.js';
import { href } from '../router.js';
import { formatNs } from '../time.js';
import { Empty, ErrorNote, Field } from '../ui.js';

interface LiveEvent {
  id: string;
  time: string;
  method: string;
  position: string;
  entity: { domain: string; type: string; key: string; version: string };
}

const STREAM = `subscription ConsoleTail($input: StreamEventOpts!) {
  streamEvents(input: $input) { id time method position entity { domain type key version } }
}`;

/** Rows kept on screen; older ones scroll away (the log keeps them all). */
const MAX_ROWS = 500;

type TailState = 'stopped' | 'live' | 'paused';

export function Events() {
  const [filters, setFilters] = useState({ domain: '*', type: '*', key: '*', after: '' });
  const [rows, setRows] = useState<LiveEvent[]>([]);
  const [state, setState] = useState<TailState>('stopped');
  const [error, setError] = useState<ApiError | null>(null);
  const lastPosition = useRef<string | null>(null);
  const stop = useRef<(() => void) | null>(null);

  useEffect(() => () => stop.current?.(), []);

  const open = (after: string | null) => {
    stop.current?.();
    setError(null);
    const input: Record<string, unknown> = { domain: filters.domain, type: filters.type, key: filters.key };
    if (after !== null && after !== '') input.after = after;
    stop.current = subscribe<{ streamEvents: LiveEvent }>(
      STREAM,
      { input },
      {
        next: ({ streamEvents: event }) => {
          lastPosition.current = event.position;
          setRows((old) => [event, ...old].slice(0, MAX_ROWS));
        },
        error: (err) => {
          stop.current = null;
          setError(err);
          setState(lastPosition.current === null ? 'stopped' : 'paused');
        },
        complete: () => {
          stop.current = null;
        },
      },
    );
    setState('live');
  };

  const start = (e: Event) => {
    e.preventDefault();
    setRows([]);
    lastPosition.current = null;
    open(filters.after.trim() === '' ? null : filters.after.trim());
  };
  const pause = () => {
    stop.current?.();
    stop.current = null;
    setState('paused');
  };
  const resume = () => open(lastPosition.current ?? (filters.after.trim() || null));

  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Live events</h1>
      <form class="search" onSubmit={start}>
        <Field label="Domain glob">
          <input
            name="domain"
            value={filters.domain}
            onInput={(e) => setFilters({ ...filters, domain: e.currentTarget.value })}
          />
        </Field>
        <Field label="Type glob">
          <input
            name="type"
            value={filters.type}
            onInput={(e) => setFilters({ ...filters, type: e.currentTarget.value })}
          />
        </Field>
        <Field label="Key glob" hint="* any run of characters, ? one character">
          <input
            name="key"
            value={filters.key}
            onInput={(e) => setFilters({ ...filters, key: e.currentTarget.value })}
          />
        </Field>
        <Field label="After position" hint="empty = live only; a position replays from there">
          <input
            name="after"
            inputMode="numeric"
            value={filters.after}
            onInput={(e) => setFilters({ ...filters, after: e.currentTarget.value })}
          />
        </Field>
        <button type="submit">{state === 'stopped' ? 'Start' : 'Restart'}</button>
        <button type="button" onClick={pause} disabled={state !== 'live'}>
          Pause
        </button>
        <button type="button" onClick={resume} disabled={state !== 'paused'}>
          Resume
        </button>
      </form>
      <p role="status" data-testid="tail-state">
        {state === 'live' && 'Live: new events appear at the top.'}
        {state === 'paused' &&
          `Paused${lastPosition.current ? ` after position ${lastPosition.current}` : ''}: Resume replays what was written meanwhile.`}
        {state === 'stopped' && 'Not streaming: set the globs and Start.'}
      </p>
      {error && <ErrorNote error={error} title="The stream ended" />}
      {rows.length === 0 && state === 'live' && (
        <Empty>
          <p>Waiting for events matching these globs… write an entity (any client) and it shows up here.</p>
        </Empty>
      )}
      {rows.length > 0 && (
        <div class="scroll">
          <table class="tail" data-testid="tail">
            <thead>
              <tr>
                <th scope="col" class="num">
                  Position
                </th>
                <th scope="col">Time</th>
                <th scope="col">Change</th>
                <th scope="col">Entity</th>
                <th scope="col" class="num">
                  Version
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td class="num">{e.position}</td>
                  <td>{formatNs(e.time)}</td>
                  <td>{e.method.slice(e.method.lastIndexOf('/') + 1)}</td>
                  <td>
                    <a href={href('entity', e.entity.domain, e.entity.type, e.entity.key)}>
                      {e.entity.domain}/{e.entity.type}/{e.entity.key}
                    </a>
                  </td>
                  <td class="num">{e.entity.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
