import { TableScroll } from '../components/TableScroll';
// Who is told when CI breaks and recovers: the channels (Slack, signed webhooks, PagerDuty) and
// the rules that route incident changes to them. Administrators only, as the API is.
import { useState } from 'preact/hooks';
import type { components } from 'faultline-openapi';
import { Page } from '../components/Page';
import { Pending, Empty, ErrorBox } from '../components/States';
import { Time } from '../components/Time';
import { ChannelForm } from '../components/ChannelForm';
import { RuleForm } from '../components/RuleForm';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { errorText, unwrap } from '../api/problem';
import { sessionState } from '../api/session';

type Channel = components['schemas']['NotificationChannel'];
type Rule = components['schemas']['NotificationRule'];
type TestResult = components['schemas']['NotificationTestResult'];

const kindNames: Record<Channel['kind'], string> = { slack: 'Slack', webhook: 'Signed webhook', pagerduty: 'PagerDuty' };

function filters(rule: Rule): string {
  const parts = [];
  if (rule.repository) parts.push(rule.repository);
  if (rule.branch_pattern) parts.push(`branch ${rule.branch_pattern}`);
  if (rule.category) parts.push(rule.category);
  if (rule.recurred_after > 1) parts.push(`recurred after ${rule.recurred_after}`);
  return parts.length ? parts.join(', ') : 'every incident';
}

function ChannelState({ channel }: { channel: Channel }) {
  if (channel.enabled) return <span class="badge badge-good">enabled</span>;
  return (
    <>
      <span class="badge badge-bad">disabled</span>
      {channel.disabled_reason && <div class="muted small">{channel.disabled_reason}</div>}
    </>
  );
}

export function Notifications() {
  const session = sessionState();
  const admin = session.status === 'signed-in' && session.user.role === 'admin';
  const channels = usePolled(admin ? '/api/v1/notification-channels?page_size=100' : null, (init) =>
    api.GET('/api/v1/notification-channels', { ...init, params: { query: { page_size: 100 } } }),
  { every: 10000 });
  const rules = usePolled(admin ? '/api/v1/notification-rules?page_size=100' : null, (init) =>
    api.GET('/api/v1/notification-rules', { ...init, params: { query: { page_size: 100 } } }),
  );
  const [failure, setFailure] = useState<string>();
  const [tested, setTested] = useState<{ id: number; result: TestResult }>();

  const act = async (what: string, call: () => Promise<{ data?: unknown; error?: unknown; response: Response }>) => {
    setFailure(undefined);
    try {
      unwrap(await call());
      channels.reload();
      rules.reload();
    } catch (error) {
      setFailure(`${what}: ${errorText(error)}`);
    }
  };
  const test = async (id: number) => {
    setFailure(undefined);
    setTested(undefined);
    try {
      setTested({ id, result: unwrap(await api.POST('/api/v1/notification-channels/{id}/test', { params: { path: { id } } })) });
    } catch (error) {
      setFailure(`Could not send a test message: ${errorText(error)}`);
    }
  };

  if (!admin)
    return (
      <Page title="Notifications">
        <p class="muted">Only administrators see and change where incidents are sent.</p>
      </Page>
    );
  const channelList = channels.data?.items ?? [];
  const nameOf = (id: number) => channelList.find((c) => c.id === id)?.name ?? `channel ${id}`;
  return (
    <Page title="Notifications">
      <p class="muted">
        Where Faultline says that CI broke and that it recovered. Secrets are stored sealed and never shown again.
      </p>
      {failure && <ErrorBox message={failure} />}
      <section aria-labelledby="channels-heading">
        <h2 id="channels-heading">Channels</h2>
        <Pending what="the channels" loading={channels.loading} error={channels.error} hasData={!!channels.data} onRetry={channels.reload} />
        {channels.data && channelList.length === 0 && <Empty>No channel yet: add one below.</Empty>}
        {channelList.length > 0 && (
          <TableScroll label="Channels">
            <table>
              <caption class="sr-only">Channels</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">State</th>
                  <th scope="col">Added</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {channelList.map((c) => (
                  <tr key={c.id} data-channel-id={c.id}>
                    <th scope="row">
                      {c.name}
                      {c.url && <div class="muted small mono">{c.url}</div>}
                    </th>
                    <td>{kindNames[c.kind]}</td>
                    <td>
                      <ChannelState channel={c} />
                      {tested?.id === c.id && (
                        <div role="status" class="small" data-testid="test-result">
                          Test: {tested.result.sent ? 'sent' : `not sent (${tested.result.outcome}${tested.result.status ? `, HTTP ${tested.result.status}` : ''})`}
                        </div>
                      )}
                    </td>
                    <td>
                      <Time value={c.created_at} />
                    </td>
                    <td class="field-actions">
                      <button type="button" onClick={() => void test(c.id)} aria-label={`Send a test message to ${c.name}`}>
                        Send test
                      </button>
                      {!c.enabled && (
                        <button
                          type="button"
                          onClick={() =>
                            void act('Could not enable it', () =>
                              api.PATCH('/api/v1/notification-channels/{id}', { params: { path: { id: c.id } }, body: { enabled: true } }),
                            )
                          }
                        >
                          Enable again
                        </button>
                      )}
                      <button
                        type="button"
                        aria-label={`Delete ${c.name}`}
                        onClick={() => {
                          if (!confirm(`Delete ${c.name} with its rules and delivery history?`)) return;
                          void act('Could not delete it', () => api.DELETE('/api/v1/notification-channels/{id}', { params: { path: { id: c.id } } }));
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
      <ChannelForm onAdded={channels.reload} />
      <section aria-labelledby="rules-heading">
        <h2 id="rules-heading">Rules</h2>
        <Pending what="the rules" loading={rules.loading} error={rules.error} hasData={!!rules.data} onRetry={rules.reload} />
        {rules.data && rules.data.items.length === 0 && <Empty>No rule yet: a channel gets nothing until a rule sends it changes.</Empty>}
        {rules.data && rules.data.items.length > 0 && (
          <TableScroll label="Rules">
            <table>
              <caption class="sr-only">Rules</caption>
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">Changes</th>
                  <th scope="col">For</th>
                  <th scope="col">Quiet hours</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rules.data.items.map((r) => (
                  <tr key={r.id} data-rule-id={r.id}>
                    <td>{nameOf(r.channel_id)}</td>
                    <td>{r.changes.join(', ')}</td>
                    <td>{filters(r)}</td>
                    <td>{r.quiet_hours ? `${r.quiet_hours.start}–${r.quiet_hours.end} ${r.quiet_hours.time_zone}` : '—'}</td>
                    <td>
                      <button
                        type="button"
                        aria-label={`Delete the rule for ${nameOf(r.channel_id)}`}
                        onClick={() => void act('Could not delete the rule', () => api.DELETE('/api/v1/notification-rules/{id}', { params: { path: { id: r.id } } }))}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
      {channelList.length > 0 && <RuleForm channels={channelList} onAdded={rules.reload} />}
    </Page>
  );
}
