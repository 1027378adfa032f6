// Live data by conditional polling: each URL's last ETag and body are kept, and the next
// request names the ETag so an unchanged answer is a bodyless 304. `cache: 'no-store'`
// stops the browser from quietly turning that 304 into its own cached 200.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText, problemMessage } from './problem';

// A type alias, not an interface: openapi-fetch's init wants an index signature.
export type Conditional = {
  headers: Record<string, string>;
  cache: RequestCache;
};

type Result<T> = { data?: T; error?: unknown; response: Response };
export type Loader<T> = (init: Conditional) => Promise<Result<T>>;

interface Remembered {
  etag: string | null;
  data: unknown;
}
const remembered = new Map<string, Remembered>();
// Enough for every list and filter visited in a sitting; the oldest goes first.
const REMEMBER_AT_MOST = 200;

function remember(key: string, value: Remembered) {
  remembered.delete(key); // re-inserted last: a Map iterates in insertion order
  remembered.set(key, value);
  if (remembered.size > REMEMBER_AT_MOST) remembered.delete(remembered.keys().next().value as string);
}

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  status: number | undefined;
  loading: boolean;
  /** When the last answer (a 304 included) arrived; kept only with `trackTime`. */
  checkedAt: string | undefined;
  reload: () => void;
}

export interface PollOptions {
  /** Milliseconds between polls; 0 loads once. */
  every?: number;
  /** Re-render on every answer to keep `checkedAt`, even when nothing changed. */
  trackTime?: boolean;
}

async function loadOnce<T>(key: string, load: Loader<T>): Promise<T> {
  const known = remembered.get(key);
  const headers: Record<string, string> = known?.etag ? { 'If-None-Match': known.etag } : {};
  const result = await load({ headers, cache: 'no-store' });
  if (result.response.status === 304 && known) return known.data as T;
  if (!result.response.ok || result.data === undefined) {
    throw new ApiError(problemMessage(result.error, result.response), result.response.status);
  }
  remember(key, { etag: result.response.headers.get('ETag'), data: result.data });
  return result.data;
}

/**
 * Loads `key` with `load` and, with `every`, keeps it fresh while the tab is visible.
 * `key` must change whenever what `load` asks for changes (the URL with its query is ideal);
 * a null key loads nothing.
 */
export function usePolled<T>(key: string | null, load: Loader<T>, options: PollOptions = {}): Polled<T> {
  const every = options.every ?? 0;
  const cached = key ? (remembered.get(key)?.data as T | undefined) : undefined;
  const [data, setData] = useState<T | undefined>(cached);
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<number>();
  const [loading, setLoading] = useState(key !== null && cached === undefined);
  const [generation, setGeneration] = useState(0);
  const [checkedAt, setCheckedAt] = useState<string>();
  const trackTime = options.trackTime ?? false;
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    if (!key) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Show what this URL last answered at once (a filter undone, a page revisited).
    const known = remembered.get(key)?.data as T | undefined;
    setData(known);
    setLoading(known === undefined);

    // One request at a time: a tab shown again while one is out must not start a second loop.
    let running = false;
    const tick = async () => {
      if (running) return;
      running = true;
      clearTimeout(timer);
      try {
        const next = await loadOnce(key, loader.current);
        if (stopped) return;
        setData(next); // the same object after a 304, so nothing re-renders
        setError(undefined);
        setStatus(200);
        if (trackTime) setCheckedAt(new Date().toISOString());
      } catch (caught) {
        if (stopped) return;
        setError(errorText(caught));
        setStatus(caught instanceof ApiError ? caught.status : undefined);
      } finally {
        running = false;
        if (!stopped) {
          setLoading(false);
          if (every > 0 && document.visibilityState === 'visible') timer = setTimeout(tick, every);
        }
      }
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible') void tick();
      else clearTimeout(timer);
    };
    void tick();
    if (every > 0) document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [key, every, generation, trackTime]);

  return { data, error, status, loading, checkedAt, reload: () => setGeneration((g) => g + 1) };
}
