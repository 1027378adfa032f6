// Adds a rule: which incident changes a channel gets, for which repositories, branches and
// categories, and when to hold them (quiet hours in a time zone).
import { useState } from 'preact/hooks';
import type { components } from 'faultline-openapi';
import { api } from '../api/client';
import { errorText, unwrap } from '../api/problem';
import { ErrorBox } from './States';

type Channel = components['schemas']['NotificationChannel'];
type Change = components['schemas']['NotificationChange'];
type Category = components['schemas']['FailureCategory'];

const changes: Change[] = ['opened', 'recurred', 'acknowledged', 'resolved'];
const categories: Category[] = [
  'code/build',
  'code/test',
  'code/lint',
  'code/security',
  'platform/infrastructure',
  'platform/network',
  'platform/dependencies',
  'platform/credentials',
  'platform/timeout',
  'unknown',
];

export function RuleForm({ channels, onAdded }: { channels: Channel[]; onAdded: () => void }) {
  const [channel, setChannel] = useState<number>();
  const [wanted, setWanted] = useState<Change[]>(['opened', 'resolved']);
  const [repository, setRepository] = useState('');
  const [branch, setBranch] = useState('');
  const [category, setCategory] = useState<Category | ''>('');
  const [after, setAfter] = useState(1);
  const [quietStart, setQuietStart] = useState('');
  const [quietEnd, setQuietEnd] = useState('');
  const [zone, setZone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const channelId = channel ?? channels[0]?.id;

  const toggle = (change: Change, on: boolean) =>
    setWanted((now) => (on ? [...now, change] : now.filter((c) => c !== change)).sort((a, b) => changes.indexOf(a) - changes.indexOf(b)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(undefined);
    if (channelId === undefined) return;
    setBusy(true);
    try {
      unwrap(
        await api.POST('/api/v1/notification-rules', {
          body: {
            channel_id: channelId,
            changes: wanted,
            repository: repository.trim() || null,
            branch_pattern: branch.trim() || null,
            category: category || null,
            recurred_after: after,
            quiet_hours: quietStart && quietEnd ? { start: quietStart, end: quietEnd, time_zone: zone.trim() } : null,
          },
        }),
      );
      setRepository('');
      setBranch('');
      onAdded();
    } catch (error) {
      setFailure(`Could not add the rule: ${errorText(error)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" aria-labelledby="add-rule-heading" onSubmit={(e) => void submit(e)}>
      <h2 id="add-rule-heading">Add a rule</h2>
      {failure && <ErrorBox message={failure} />}
      <div class="filters">
        <div class="field">
          <label for="rule-channel">Channel</label>
          <select id="rule-channel" value={channelId} onChange={(e) => setChannel(Number(e.currentTarget.value))}>
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <fieldset class="field checks">
          <legend>Changes</legend>
          {changes.map((change) => (
            <label key={change}>
              <input
                type="checkbox"
                checked={wanted.includes(change)}
                onChange={(e) => toggle(change, e.currentTarget.checked)}
              />{' '}
              {change}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="rule-repository">Repository (owner/name, optional)</label>
          <input id="rule-repository" value={repository} onInput={(e) => setRepository(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="rule-branch">Branch pattern (optional, e.g. release/*)</label>
          <input id="rule-branch" value={branch} onInput={(e) => setBranch(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="rule-category">Category</label>
          <select id="rule-category" value={category} onChange={(e) => setCategory(e.currentTarget.value as Category | '')}>
            <option value="">any</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="rule-after">Recurred after N failures in a row</label>
          <input id="rule-after" type="number" min={1} max={1000} value={after} onInput={(e) => setAfter(Number(e.currentTarget.value))} />
        </div>
        <div class="field">
          <label for="rule-quiet-start">Quiet from (optional)</label>
          <input id="rule-quiet-start" type="time" value={quietStart} onInput={(e) => setQuietStart(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="rule-quiet-end">Quiet until</label>
          <input id="rule-quiet-end" type="time" value={quietEnd} onInput={(e) => setQuietEnd(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="rule-zone">Time zone</label>
          <input id="rule-zone" value={zone} onInput={(e) => setZone(e.currentTarget.value)} />
        </div>
      </div>
      <div class="field-actions">
        <button type="submit" class="primary" disabled={busy || channelId === undefined || wanted.length === 0}>
          Add rule
        </button>
      </div>
    </form>
  );
}
