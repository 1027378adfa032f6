// Adds a notification channel: Slack's incoming webhook, a signed webhook, or PagerDuty.
// What is secret (Slack's URL, the whsec_ secrets, the routing key) goes to the API once and is
// never shown again: the fields are cleared when the channel is made.
import { useState } from 'preact/hooks';
import type { components } from 'faultline-openapi';
import { api } from '../api/client';
import { errorText, unwrap } from '../api/problem';
import { ErrorBox } from './States';

type Kind = components['schemas']['NotificationChannelKind'];
type Create = components['schemas']['NotificationChannelCreate'];

const kinds: { value: Kind; label: string }[] = [
  { value: 'slack', label: 'Slack (incoming webhook)' },
  { value: 'webhook', label: 'Signed webhook (Standard Webhooks)' },
  { value: 'pagerduty', label: 'PagerDuty (Events API v2)' },
];

function request(kind: Kind, name: string, url: string, secret: string): Create {
  if (kind === 'slack') return { kind, name, webhook_url: url };
  if (kind === 'webhook') return { kind, name, url, secrets: [secret] };
  return url ? { kind, name, routing_key: secret, url } : { kind, name, routing_key: secret };
}

export function ChannelForm({ onAdded }: { onAdded: () => void }) {
  const [kind, setKind] = useState<Kind>('slack');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(undefined);
    setBusy(true);
    try {
      unwrap(await api.POST('/api/v1/notification-channels', { body: request(kind, name.trim(), url.trim(), secret.trim()) }));
      setName('');
      setUrl('');
      setSecret('');
      onAdded();
    } catch (error) {
      setFailure(`Could not add the channel: ${errorText(error)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" aria-labelledby="add-channel-heading" onSubmit={(e) => void submit(e)}>
      <h2 id="add-channel-heading">Add a channel</h2>
      {failure && <ErrorBox message={failure} />}
      <div class="filters">
        <div class="field">
          <label for="channel-kind">Kind</label>
          <select id="channel-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
            {kinds.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="channel-name">Name</label>
          <input id="channel-name" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="channel-url">{kind === 'slack' ? 'Incoming webhook URL (secret)' : kind === 'webhook' ? 'URL' : 'URL (optional)'}</label>
          <input
            id="channel-url"
            type={kind === 'slack' ? 'password' : 'url'}
            autoComplete="off"
            required={kind !== 'pagerduty'}
            maxLength={2048}
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
          />
        </div>
        {kind !== 'slack' && (
          <div class="field">
            <label for="channel-secret">{kind === 'webhook' ? 'Signing secret (whsec_…)' : 'Routing key'}</label>
            <input
              id="channel-secret"
              type="password"
              autoComplete="off"
              required
              value={secret}
              onInput={(e) => setSecret(e.currentTarget.value)}
            />
          </div>
        )}
      </div>
      <div class="field-actions">
        <button type="submit" class="primary" disabled={busy}>
          Add channel
        </button>
      </div>
    </form>
  );
}
