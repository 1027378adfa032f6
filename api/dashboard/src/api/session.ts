// The signed-in session. The access token lives only in this tab's memory; the refresh
// token is in localStorage so a reload or a second tab stays signed in. Refresh tokens
// rotate and a retired one reused outside the grace window ends the whole session, so
// every refresh in every tab runs under one Web Lock and re-reads the stored token inside it.
import createClient from 'openapi-fetch';
import type { components, paths } from 'faultline-openapi';

export type User = components['schemas']['User'];
type Tokens = components['schemas']['Tokens'];

export type SessionState =
  | { status: 'starting' }
  | { status: 'signed-in'; user: User }
  | { status: 'signed-out'; message?: string };

export const REFRESH_KEY = 'faultline.refresh';
const LOCK_NAME = 'faultline-refresh';
export const SESSION_ENDED = 'Your session has ended; sign in again.';
// Refresh this long before the access token expires, so requests never carry a stale one.
const REFRESH_EARLY_MS = 60_000;

// Auth calls go through a client without the retry-on-401 wrapper: a failed refresh must not refresh.
const authClient = createClient<paths>({ baseUrl: '' });

let state: SessionState = { status: 'starting' };
let accessToken: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<string | null> | null = null;
const listeners = new Set<(s: SessionState) => void>();

export function sessionState(): SessionState {
  return state;
}

export function subscribe(listener: (s: SessionState) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setState(next: SessionState) {
  state = next;
  for (const listener of listeners) listener(state);
}

export function currentAccessToken(): string | null {
  return accessToken;
}

function storedRefreshToken(): string | null {
  try {
    return localStorage.getItem(REFRESH_KEY);
  } catch {
    return null; // storage disabled: the session lasts as long as the tab
  }
}

function storeRefreshToken(token: string | null) {
  try {
    if (token) localStorage.setItem(REFRESH_KEY, token);
    else localStorage.removeItem(REFRESH_KEY);
  } catch {
    /* storage disabled; nothing to keep */
  }
}

function adopt(tokens: Tokens) {
  accessToken = tokens.access_token;
  storeRefreshToken(tokens.refresh_token);
  clearTimeout(refreshTimer);
  const delay = Math.max(5_000, tokens.expires_in * 1000 - REFRESH_EARLY_MS);
  refreshTimer = setTimeout(() => void refresh().catch(() => undefined), delay);
}

function end(message?: string) {
  accessToken = null;
  clearTimeout(refreshTimer);
  setState(message ? { status: 'signed-out', message } : { status: 'signed-out' });
}

async function loadUser(tokens: Tokens): Promise<void> {
  if (tokens.user) {
    setState({ status: 'signed-in', user: tokens.user });
    return;
  }
  const { data } = await authClient.GET('/api/v1/auth/me', {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  });
  if (data) setState({ status: 'signed-in', user: data });
}

async function withRefreshLock<T>(run: () => Promise<T>): Promise<T> {
  // Without Web Locks (an insecure origin) tabs may race; the server's grace window covers most of it.
  if (!('locks' in navigator) || !navigator.locks) return run();
  return await navigator.locks.request(LOCK_NAME, run);
}

async function exchangeStoredToken(): Promise<string | null> {
  const token = storedRefreshToken();
  if (!token) {
    end(state.status === 'signed-in' ? SESSION_ENDED : undefined);
    return null;
  }
  // Bounded, because every tab waits on the lock this call holds.
  const { data, response } = await authClient.POST('/api/v1/auth/refresh', {
    body: { refresh_token: token },
    signal: AbortSignal.timeout(15_000),
  });
  if (data) {
    adopt(data);
    await loadUser(data);
    return data.access_token;
  }
  if (response.status === 401 || response.status === 400) {
    // Another tab may have stored a newer token meanwhile; only forget the one that failed.
    if (storedRefreshToken() === token) storeRefreshToken(null);
    end(SESSION_ENDED);
    return null;
  }
  throw new Error(`refresh failed with HTTP ${response.status}`);
}

/** A new access token, or null when the session has ended. Concurrent callers share one refresh. */
export function refresh(): Promise<string | null> {
  inflight ??= withRefreshLock(exchangeStoredToken).finally(() => {
    inflight = null;
  });
  return inflight;
}

/** On start: resume the session the stored refresh token names, if any. */
export async function resume(): Promise<void> {
  if (!storedRefreshToken()) {
    end();
    return;
  }
  try {
    await refresh();
  } catch {
    // The API is unreachable; keep the token and show the pages' own errors, retry later.
    end('Faultline cannot be reached right now; sign in again once it is back.');
  }
}

export type SignInOutcome =
  | { status: 'signed-in' }
  /** `problem` is the answer's problem type, when it had one. */
  | { status: 'refused'; message: string; problem?: string }
  /** The password was right; the account asks for a code within `expiresIn` seconds. */
  | { status: 'second-factor'; challenge: string; expiresIn: number };

const UNREACHABLE = 'Cannot reach the Faultline API. Check your connection and try again.';
const TWO_FACTOR_REQUIRED = 'urn:faultline:problem:two-factor-required';
export const CHALLENGE_ENDED = 'urn:faultline:problem:invalid-challenge';

type Problem = { type?: string; detail?: string; challenge?: string; expires_in?: number } | undefined;

async function opened(result: { data?: Tokens; error?: unknown; response: Response }): Promise<SignInOutcome> {
  const { data, response } = result;
  const error = result.error as Problem;
  if (data) {
    adopt(data);
    await loadUser(data);
    return { status: 'signed-in' };
  }
  if (error?.type === TWO_FACTOR_REQUIRED && error.challenge)
    return { status: 'second-factor', challenge: error.challenge, expiresIn: error.expires_in ?? 300 };
  return {
    status: 'refused',
    message: error?.detail ?? `Sign-in failed (HTTP ${response.status}).`,
    ...(error?.type ? { problem: error.type } : {}),
  };
}

/** The first step of signing in: email and password. */
export async function signIn(email: string, password: string): Promise<SignInOutcome> {
  try {
    return await opened(await authClient.POST('/api/v1/auth/login', { body: { email, password } }));
  } catch {
    return { status: 'refused', message: UNREACHABLE };
  }
}

/** The second step, for an account with two-factor sign-in on: a code or a recovery code. */
export async function signInWithSecondFactor(
  challenge: string,
  proof: { code: string } | { recovery_code: string },
): Promise<SignInOutcome> {
  try {
    return await opened(await authClient.POST('/api/v1/auth/login/two-factor', { body: { challenge, ...proof } }));
  } catch {
    return { status: 'refused', message: UNREACHABLE };
  }
}

export async function signOut(): Promise<void> {
  const token = accessToken;
  storeRefreshToken(null);
  end();
  if (token) {
    await authClient
      .POST('/api/v1/auth/logout', { headers: { Authorization: `Bearer ${token}` } })
      .catch(() => undefined);
  }
}

// Another tab signed out (token removed) or signed in (token stored while we are signed out).
window.addEventListener('storage', (event) => {
  if (event.key !== REFRESH_KEY && event.key !== null) return;
  if (!event.newValue && state.status === 'signed-in') end(SESSION_ENDED);
  else if (event.newValue && state.status === 'signed-out') void refresh().catch(() => undefined);
});
