// Turning two-factor sign-in on and off. Enrolment is two calls: the server answers a
// secret and recovery codes (shown this once), and only a valid code from the app turns
// it on, so a mistyped scan can never lock anyone out.
import { useState } from 'preact/hooks';
import type { components } from 'faultline-openapi';
import { Page } from '../components/Page';
import { Pending, ErrorBox } from '../components/States';
import { QrCode } from '../components/QrCode';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { errorText, unwrap } from '../api/problem';

type Enrolment = components['schemas']['TwoFactorEnrolment'];

const digits = (value: FormDataEntryValue | null) => String(value ?? '').replace(/\s/g, '');

export function TwoFactor() {
  const status = usePolled('/api/v1/auth/two-factor', (init) => api.GET('/api/v1/auth/two-factor', init));
  const [enrolment, setEnrolment] = useState<Enrolment>();
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);

  const act = async (call: () => Promise<void>) => {
    setBusy(true);
    setFailure(undefined);
    try {
      await call();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setBusy(false);
    }
  };

  const start = () =>
    act(async () => {
      setEnrolment(unwrap(await api.POST('/api/v1/auth/two-factor/enrolment')));
    });

  const confirm = (event: Event) => {
    event.preventDefault();
    const code = digits(new FormData(event.currentTarget as HTMLFormElement).get('code'));
    void act(async () => {
      unwrap(await api.POST('/api/v1/auth/two-factor/enrolment/confirm', { body: { code } }));
      setEnrolment(undefined);
      status.reload();
    });
  };

  const disable = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const recovery = String(form.get('proof_recovery_code') ?? '').trim();
    const body = recovery ? { recovery_code: recovery } : { code: digits(form.get('proof_code')) };
    void act(async () => {
      unwrap(await api.POST('/api/v1/auth/two-factor/disable', { body }));
      status.reload();
    });
  };

  const state = status.data;
  return (
    <Page title="Two-factor sign-in">
      <p class="muted">
        With two-factor sign-in on, signing in needs your password and a six-digit code from an authenticator app
        (any app that reads an <code>otpauth</code> QR code).
      </p>
      {failure && <ErrorBox message={failure} />}
      <Pending what="your two-factor state" loading={status.loading} error={status.error} hasData={!!state} onRetry={status.reload} />
      {state?.enabled && !enrolment && (
        <section class="card narrow" aria-labelledby="two-factor-on">
          <h2 id="two-factor-on">On</h2>
          <p data-testid="two-factor-state">
            Two-factor sign-in is on. {state.recovery_codes_left} of 10 recovery codes are left.
          </p>
          <form class="narrow" onSubmit={disable}>
            <p class="muted">To turn it off, prove it is you once more: a current code, or an unused recovery code.</p>
            <label for="proof_code">Authentication code</label>
            <input id="proof_code" name="proof_code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} />
            <label for="proof_recovery_code">or a recovery code</label>
            <input id="proof_recovery_code" name="proof_recovery_code" autoComplete="off" spellcheck={false} />
            <button type="submit" disabled={busy}>
              Turn two-factor sign-in off
            </button>
          </form>
        </section>
      )}
      {state && !state.enabled && !enrolment && (
        <section class="card narrow" aria-labelledby="two-factor-off">
          <h2 id="two-factor-off">Off</h2>
          <p data-testid="two-factor-state">
            {state.pending
              ? 'An enrolment was started but never confirmed. Start again to get a new secret.'
              : 'Two-factor sign-in is off: your password alone signs you in.'}
          </p>
          <button type="button" class="primary" disabled={busy} onClick={() => void start()}>
            {state.pending ? 'Start again' : 'Turn on two-factor sign-in'}
          </button>
        </section>
      )}
      {enrolment && (
        <section class="card" aria-labelledby="two-factor-enrol">
          <h2 id="two-factor-enrol">Set up your authenticator app</h2>
          <ol>
            <li>
              <p>Scan this code with the app, or type in the secret.</p>
              <QrCode text={enrolment.otpauth_uri} label="QR code of the two-factor secret" />
              <p>
                Secret: <code data-testid="two-factor-secret">{enrolment.secret}</code>
              </p>
            </li>
            <li>
              <p>
                Save these recovery codes somewhere safe. Each signs you in once if you lose the app; they are not shown
                again.
              </p>
              <ul class="recovery-codes" data-testid="recovery-codes">
                {enrolment.recovery_codes.map((code) => (
                  <li key={code}>{code}</li>
                ))}
              </ul>
            </li>
            <li>
              <form class="narrow" onSubmit={confirm}>
                <label for="enrol_code">Enter the code the app shows now</label>
                <input id="enrol_code" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} required />
                <button type="submit" class="primary" disabled={busy}>
                  Turn on
                </button>
              </form>
            </li>
          </ol>
        </section>
      )}
    </Page>
  );
}
