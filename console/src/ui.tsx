/** Small pieces every page uses: error and empty states, JSON blocks, a field row, an async loader. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, advice } from './api.js';

/** An error as a person reads it: what happened, the code, and what to do about it. */
export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  const err = error instanceof ApiError ? error : new ApiError(String(error), 'UNKNOWN');
  const denied = err.code === 'PERMISSION_DENIED';
  return (
    <div class={`note ${denied ? 'denied' : 'error'}`} role="alert" data-code={err.code}>
      <strong>
        {denied ? `Not allowed by policy${title ? ` — ${title}` : ''}` : (title ?? 'Something went wrong')}
      </strong>
      <p>
        {err.message} <code>{err.code}</code>
      </p>
      <p>{advice(err)}</p>
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <div class="note empty" role="status">
      {children}
    </div>
  );
}

export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre class="json" title={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the label's child (`children`)
    <label class="field">
      <span>{label}</span>
      {children}
      {hint && <small>{hint}</small>}
    </label>
  );
}

export type Async<T> = { status: 'loading' } | { status: 'ok'; value: T } | { status: 'error'; error: unknown };

/** Runs `load` now and whenever `deps` change; `reload()` runs it again. Stale answers are dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): [Async<T>, () => void] {
  const [state, setState] = useState<Async<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState({ status: 'loading' });
    load().then(
      (value) => live && setState({ status: 'ok', value }),
      (error: unknown) => live && setState({ status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return [state, reload];
}

/** Parses JSON typed in a form, or throws an ApiError naming the field. */
export function parseJsonInput(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(`${field} is not valid JSON`, 'INVALID_ARGUMENT');
  }
}
