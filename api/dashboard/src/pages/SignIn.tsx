import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Page } from '../components/Page';
import { CHALLENGE_ENDED, signIn, signInWithSecondFactor, sessionState, subscribe, type SignInOutcome } from '../api/session';
import { navigate, useLocation } from '../router';

/** Only same-origin paths are followed after sign-in, never another site. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/';
}

const CHALLENGE_EXPIRED = 'That took too long; enter your password again.';

export function SignIn() {
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const initial = sessionState();
  const [ended] = useState(initial.status === 'signed-out' ? initial.message : undefined);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Set once the password was right and the account asks for a second factor.
  const [challenge, setChallenge] = useState<{ value: string; expiresAt: number }>();

  useEffect(() => {
    // Already signed in (or another tab just signed in): go on.
    const go = () => sessionState().status === 'signed-in' && navigate(next, { replace: true });
    go();
    return subscribe(go);
  }, [next]);

  const settle = (outcome: SignInOutcome) => {
    setBusy(false);
    if (outcome.status === 'second-factor') {
      setChallenge({ value: outcome.challenge, expiresAt: Date.now() + outcome.expiresIn * 1000 });
    } else if (outcome.status === 'refused') {
      if (outcome.problem === CHALLENGE_ENDED) setChallenge(undefined);
      setError(outcome.message);
    }
  };

  const submitPassword = async (form: FormData) => {
    settle(await signIn(String(form.get('email') ?? ''), String(form.get('password') ?? '')));
  };

  const submitSecondFactor = async (form: FormData, pending: { value: string; expiresAt: number }) => {
    if (Date.now() >= pending.expiresAt) {
      setBusy(false);
      setChallenge(undefined);
      setError(CHALLENGE_EXPIRED);
      return;
    }
    const recovery = form.get('recovery_code');
    const proof = recovery !== null ? { recovery_code: String(recovery).trim() } : { code: String(form.get('code') ?? '').replace(/\s/g, '') };
    settle(await signInWithSecondFactor(pending.value, proof));
  };

  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    void (challenge ? submitSecondFactor(form, challenge) : submitPassword(form));
  };

  return (
    <Page title={challenge ? 'Two-factor sign-in' : 'Sign in'}>
      <form class="card narrow" onSubmit={submit} aria-describedby={ended && !challenge ? 'session-ended' : undefined}>
        {ended && !challenge && (
          <p id="session-ended" class="notice" role="status">
            {ended}
          </p>
        )}
        {error && (
          <p class="state state-error" role="alert">
            {error}
          </p>
        )}
        {challenge ? (
          <SecondFactorFields busy={busy} onRestart={() => setChallenge(undefined)} />
        ) : (
          <>
            <label for="email">Email</label>
            <input id="email" name="email" type="email" autoComplete="username" required />
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required />
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </>
        )}
      </form>
    </Page>
  );
}

function SecondFactorFields({ busy, onRestart }: { busy: boolean; onRestart: () => void }) {
  const [recovery, setRecovery] = useState(false);
  return (
    <>
      {/* Keyed, so the browser gets a fresh input rather than one still holding the other's limits. */}
      {recovery ? (
        <Fragment key="recovery">
          <label for="recovery_code">Recovery code</label>
          <p id="recovery-hint" class="muted">
            One of the codes you saved when you turned two-factor sign-in on. Each works once.
          </p>
          <input id="recovery_code" name="recovery_code" autoComplete="off" spellcheck={false} required aria-describedby="recovery-hint" autoFocus />
        </Fragment>
      ) : (
        <Fragment key="code">
          <label for="code">Authentication code</label>
          <p id="code-hint" class="muted">
            The six digits your authenticator app shows for Faultline.
          </p>
          <input
            id="code"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]{6,7}"
            maxLength={7}
            required
            aria-describedby="code-hint"
            autoFocus
          />
        </Fragment>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Checking…' : 'Verify'}
      </button>
      <p class="form-links">
        <button type="button" class="link" onClick={() => setRecovery(!recovery)}>
          {recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead'}
        </button>
        <button type="button" class="link" onClick={onRestart}>
          Start again
        </button>
      </p>
    </>
  );
}
