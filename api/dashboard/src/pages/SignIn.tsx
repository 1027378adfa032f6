import { useEffect, useState } from 'preact/hooks';
import { Page } from '../components/Page';
import { signIn, sessionState, subscribe } from '../api/session';
import { navigate, useLocation } from '../router';

/** Only same-origin paths are followed after sign-in, never another site. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/';
}

export function SignIn() {
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const initial = sessionState();
  const [ended] = useState(initial.status === 'signed-out' ? initial.message : undefined);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // Already signed in (or another tab just signed in): go on.
    const go = () => sessionState().status === 'signed-in' && navigate(next, { replace: true });
    go();
    return subscribe(go);
  }, [next]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    const problem = await signIn(String(form.get('email') ?? ''), String(form.get('password') ?? ''));
    setBusy(false);
    if (problem) setError(problem);
  };

  return (
    <Page title="Sign in">
      <form class="card narrow" onSubmit={(e) => void submit(e)} aria-describedby={ended ? 'session-ended' : undefined}>
        {ended && (
          <p id="session-ended" class="notice" role="status">
            {ended}
          </p>
        )}
        {error && (
          <p class="state state-error" role="alert">
            {error}
          </p>
        )}
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </Page>
  );
}
