/**
 * A status that keeps itself current: loads now, then again every `everyMs` while `active`, keeping the last
 * answer on screen while the next one is on its way (no "Loading…" flicker between rounds).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Async } from './ui.js';

export interface Polled<T> {
  state: Async<T>;
  /** When the answer shown arrived (null before the first). */
  at: Date | null;
  /** Loads again now. */
  refresh: () => void;
}

export function usePolling<T>(load: () => Promise<T>, everyMs: number, active: boolean): Polled<T> {
  const [state, setState] = useState<Async<T>>({ status: 'loading' });
  const [at, setAt] = useState<Date | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => {
        if (!live) return;
        setState({ status: 'ok', value });
        setAt(new Date());
      },
      (error: unknown) => live && setState({ status: 'error', error }),
    );
    return () => {
      live = false; // a newer round (or leaving the page) drops this answer
    };
  }, [round]);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setRound((r) => r + 1), everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
  const refresh = useCallback(() => setRound((r) => r + 1), []);
  return { state, at, refresh };
}
