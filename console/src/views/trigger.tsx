/**
 * One trigger: what it matches and where it sends, where its delivery stands (refreshed every few seconds),
 * its oldest dead letters with Replay (all, or one), and Delete behind a confirmation.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { usePolling } from '../poll.js';
import { href } from '../router.js';
import {
  type DeadLetter,
  deleteTrigger,
  getTrigger,
  globs,
  replayTrigger,
  type TriggerWithLetters,
} from '../triggers.js';
import { Empty, ErrorNote } from '../ui.js';
import '../triggers.css';

const REFRESH_MS = 2000;

export function TriggerPage({ name }: { name: string }) {
  const [deleted, setDeleted] = useState(false);
  const [live, setLive] = useState(true);
  const { state, at, refresh } = usePolling(() => getTrigger(name), REFRESH_MS, live && !deleted);
  const back = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    if (deleted) back.current?.focus(); // the Delete button is gone: focus goes to the way on
  }, [deleted]);
  return (
    <section aria-labelledby="trigger-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href('triggers')}>Triggers</a> › {name}
      </nav>
      <div class="title-row">
        <h1 id="trigger-title">{name}</h1>
        {!deleted && (
          <div class="row">
            <label class="check">
              <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
              Refresh every {REFRESH_MS / 1000} s
            </label>
            <button type="button" onClick={refresh}>
              Refresh
            </button>
          </div>
        )}
      </div>
      {deleted ? (
        <p class="note ok" role="status">
          Deleted, with its cursor and dead letters.{' '}
          <a href={href('triggers')} ref={back}>
            Back to the triggers
          </a>
        </p>
      ) : (
        <>
          {state.status === 'loading' && <p aria-busy="true">Loading…</p>}
          {state.status === 'error' && <ErrorNote error={state.error} title="Could not read this trigger" />}
          {state.status === 'ok' && (
            <TriggerDetails trigger={state.value} at={at} refresh={refresh} onDeleted={() => setDeleted(true)} />
          )}
        </>
      )}
    </section>
  );
}

interface DetailsProps {
  trigger: TriggerWithLetters;
  at: Date | null;
  refresh: () => void;
  onDeleted: () => void;
}

function TriggerDetails({ trigger, at, refresh, onDeleted }: DetailsProps) {
  const { status } = trigger;
  const [outcome, setOutcome] = useState<{ ok: string } | { error: unknown; title: string } | null>(null);
  const told = useRef<HTMLParagraphElement>(null);
  // The Replay button pressed may be gone (its letter now waits to be sent): focus moves to what happened.
  useEffect(() => {
    if (outcome && 'ok' in outcome) told.current?.focus();
  }, [outcome]);

  const replay = async (eventIds: string[]) => {
    setOutcome(null);
    try {
      const replayed = await replayTrigger(trigger.name, eventIds);
      setOutcome({
        ok: `${replayed} dead ${replayed === 1 ? 'letter' : 'letters'} marked for sending again (each with ${trigger.maxAttempts} more attempts).`,
      });
      refresh();
    } catch (err) {
      setOutcome({ error: err, title: 'Replay refused' });
    }
  };

  return (
    <>
      <div class="grid">
        <section aria-labelledby="status-title">
          <h2 id="status-title">Delivery status</h2>
          <dl class="status" data-testid="trigger-status">
            <dt>Cursor position</dt>
            <dd data-testid="status-position">{status.position}</dd>
            <dt>Lag</dt>
            <dd data-testid="status-lag">{status.lag} log positions after the cursor</dd>
            <dt>Attempts</dt>
            <dd data-testid="status-attempts">
              {status.attempts === 0 ? '0 (nothing failing)' : `${status.attempts} failed, oldest pending event`}
            </dd>
            <dt>Last error</dt>
            <dd data-testid="status-last-error" class={status.lastError ? 'error-text' : ''}>
              {status.lastError ?? '—'}
            </dd>
            <dt>Dead letters</dt>
            <dd data-testid="status-dead-letters">{status.deadLetterCount}</dd>
          </dl>
          <p class="hint">
            Every event at or below the cursor was acknowledged or dead-lettered.
            {at && <> As of {at.toLocaleTimeString()}.</>}
          </p>
        </section>
        <section aria-labelledby="config-title">
          <h2 id="config-title">Trigger</h2>
          <dl class="status">
            <dt>URL</dt>
            <dd>
              <code data-testid="trigger-url">{trigger.url}</code>
            </dd>
            <dt>Domain / type / key</dt>
            <dd>{globs(trigger)}</dd>
            <dt>Extra headers</dt>
            <dd>{trigger.headerNames.length > 0 ? trigger.headerNames.join(', ') : '—'}</dd>
            <dt>Timeout</dt>
            <dd>{trigger.timeoutMs} ms</dd>
            <dt>Max attempts</dt>
            <dd>{trigger.maxAttempts}</dd>
            <dt>Created</dt>
            <dd>{new Date(trigger.createdAt).toLocaleString()}</dd>
          </dl>
          <p class="hint">The secret and header values are never shown; query values in the URL are masked.</p>
          <DeleteTrigger name={trigger.name} onDeleted={onDeleted} />
        </section>
      </div>
      <section aria-labelledby="letters-title">
        <div class="title-row">
          <h2 id="letters-title">Dead letters ({status.deadLetterCount})</h2>
          {status.deadLetters.length > 0 && (
            <button type="button" onClick={() => replay([])}>
              Replay all dead letters
            </button>
          )}
        </div>
        {outcome && 'ok' in outcome && (
          <p class="note ok" role="status" tabIndex={-1} ref={told}>
            {outcome.ok}
          </p>
        )}
        {outcome && 'error' in outcome && <ErrorNote error={outcome.error} title={outcome.title} />}
        {status.deadLetters.length === 0 ? (
          <Empty>
            <p>No dead letters: no event ran out of attempts.</p>
          </Empty>
        ) : (
          <DeadLetters letters={status.deadLetters} total={status.deadLetterCount} replay={replay} />
        )}
      </section>
    </>
  );
}

function DeadLetters({
  letters,
  total,
  replay,
}: {
  letters: DeadLetter[];
  total: string;
  replay: (eventIds: string[]) => void;
}) {
  return (
    <>
      {String(letters.length) !== total && (
        <p class="hint">
          The oldest {letters.length} of {total}.
        </p>
      )}
      <div class="scroll">
        <table class="dead-letters">
          <thead>
            <tr>
              <th scope="col" class="num">
                Position
              </th>
              <th scope="col">Event id</th>
              <th scope="col">Entity</th>
              <th scope="col" class="num">
                Attempts
              </th>
              <th scope="col">Last error</th>
              <th scope="col">Since</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {letters.map((letter) => (
              <tr key={letter.eventId} data-event={letter.eventId}>
                <td class="num">{letter.position}</td>
                <td>
                  <code>{letter.eventId}</code>
                </td>
                <td>
                  <a href={href('entity', letter.domain, letter.type, letter.key)}>
                    {letter.domain}/{letter.type}/{letter.key}
                  </a>
                </td>
                <td class="num">{letter.attempts}</td>
                <td class="error-text">{letter.lastError}</td>
                <td>
                  <time>{new Date(letter.time).toLocaleString()}</time>
                </td>
                <td>
                  {letter.replay ? (
                    <span class="hint">waiting to be sent again</span>
                  ) : (
                    <button
                      type="button"
                      aria-label={`Replay the event at position ${letter.position}`}
                      onClick={() => replay([letter.eventId])}
                    >
                      Replay
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Delete behind a confirmation: the question moves keyboard focus to its own button, Escape or Cancel backs out. */
function DeleteTrigger({ name, onDeleted }: { name: string; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const ask = useRef<HTMLButtonElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  // The button pressed is replaced: focus moves to the confirmation, and back to Delete… when it is cancelled
  // (only on that change: the page's refreshes re-render without moving focus).
  useEffect(() => {
    if (confirming) confirm.current?.focus();
    else if (asked.current) ask.current?.focus();
    asked.current = confirming;
  }, [confirming]);
  const remove = async () => {
    setError(null);
    try {
      await deleteTrigger(name);
      onDeleted();
    } catch (err) {
      setConfirming(false);
      setError(err);
    }
  };
  return (
    <div>
      {error !== null && <ErrorNote error={error} title="Delete refused" />}
      {confirming ? (
        <span class="confirm">
          <button
            type="button"
            class="danger"
            ref={confirm}
            onClick={remove}
            onKeyDown={(e) => e.key === 'Escape' && setConfirming(false)}
          >
            Delete {name}, its cursor and dead letters
          </button>
          <button
            type="button"
            onClick={() => setConfirming(false)}
            onKeyDown={(e) => e.key === 'Escape' && setConfirming(false)}
          >
            Cancel
          </button>
        </span>
      ) : (
        <button type="button" class="danger" ref={ask} onClick={() => setConfirming(true)}>
          Delete…
        </button>
      )}
    </div>
  );
}
