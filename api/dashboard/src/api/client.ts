// The typed API client. Every request carries the in-memory access token; a 401 refreshes
// once (shared with any refresh already running) and retries the request.
import createClient from 'openapi-fetch';
import type { paths } from 'faultline-openapi';
import { currentAccessToken, refresh, subscribe } from './session';

// Signing out cancels what is still in flight: an answer arriving after the logout would
// be a 401 for a session that no longer exists.
let inFlight = new AbortController();
subscribe((state) => {
  if (state.status !== 'signed-out') return;
  inFlight.abort();
  inFlight = new AbortController();
});

async function authorizedFetch(original: Request): Promise<Response> {
  const request = new Request(original, { signal: inFlight.signal });
  const retry = request.clone(); // a body can be read once; keep a copy for the retry
  const sentWith = currentAccessToken();
  if (sentWith) request.headers.set('Authorization', `Bearer ${sentWith}`);
  const response = await fetch(request);
  if (response.status !== 401 || new URL(request.url).pathname.startsWith('/api/v1/auth/')) return response;
  // If another call refreshed while this one was out, its token is the one to retry with.
  const current = currentAccessToken();
  const token = current && current !== sentWith ? current : await refresh().catch(() => null);
  if (!token) return response;
  retry.headers.set('Authorization', `Bearer ${token}`);
  return fetch(retry);
}

export const api = createClient<paths>({ baseUrl: '', fetch: authorizedFetch });
