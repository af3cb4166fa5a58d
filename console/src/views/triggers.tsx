/**
 * Event triggers: every trigger with where its delivery stands (cursor position, lag, the oldest pending
 * event's attempts and last error, dead letters), refreshed every few seconds, and a form to create one.
 */
import { useState } from 'preact/hooks';
import { usePolling } from '../poll.js';
import { href } from '../router.js';
import { globs, listTriggers } from '../triggers.js';
import { Empty, ErrorNote } from '../ui.js';
import { TriggerForm } from './trigger-form.js';
import '../triggers.css';

const REFRESH_MS = 3000;

export function Triggers() {
  const [live, setLive] = useState(true);
  const { state, at, refresh } = usePolling(listTriggers, REFRESH_MS, live);
  return (
    <>
      <section aria-labelledby="triggers-title">
        <div class="title-row">
          <h1 id="triggers-title">Event triggers</h1>
          <div class="row">
            <label class="check">
              <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
              Refresh every {REFRESH_MS / 1000} s
            </label>
            <button type="button" onClick={refresh}>
              Refresh
            </button>
          </div>
        </div>
        <p class="hint">
          Each trigger POSTs every matching event, signed, to its URL, in order per entity; failed deliveries are
          retried and, after <em>max attempts</em>, dead-lettered.{at && <> As of {at.toLocaleTimeString()}.</>}
        </p>
        {state.status === 'loading' && <p aria-busy="true">Loading…</p>}
        {state.status === 'error' && <ErrorNote error={state.error} title="Could not list the triggers" />}
        {state.status === 'ok' && state.value.length === 0 && (
          <Empty>
            <p>
              <strong>No triggers yet</strong> — declare them in <code>STATEGATE_TRIGGERS</code> or create one here
              (below).
            </p>
          </Empty>
        )}
        {state.status === 'ok' && state.value.length > 0 && (
          <div class="scroll">
            <table class="triggers">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Domain / type / key</th>
                  <th scope="col" class="num">
                    Position
                  </th>
                  <th scope="col" class="num">
                    Lag
                  </th>
                  <th scope="col" class="num">
                    Attempts
                  </th>
                  <th scope="col">Last error</th>
                  <th scope="col" class="num">
                    Dead letters
                  </th>
                </tr>
              </thead>
              <tbody>
                {state.value.map((t) => (
                  <tr key={t.name} data-trigger={t.name}>
                    <td>
                      <a href={href('trigger', t.name)}>{t.name}</a>
                    </td>
                    <td class="url">
                      <code>{t.url}</code>
                    </td>
                    <td>{globs(t)}</td>
                    <td class="num">{t.status.position}</td>
                    <td class="num">{t.status.lag}</td>
                    <td class="num">{t.status.attempts}</td>
                    <td class="error-text">{t.status.lastError ?? '—'}</td>
                    <td class="num">
                      <span class={t.status.deadLetterCount === '0' ? '' : 'badge bad'}>
                        {t.status.deadLetterCount}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <TriggerForm created={refresh} />
    </>
  );
}
