// Notifications end to end: a failing run delivered at ingest becomes an
// incident, and the notifier tells a Slack channel, a signed webhook and
// PagerDuty; the next green run tells them it recovered. The receivers are
// tests/fakes/fake-notify.mjs; the webhook receiver verifies every signature
// the way tests/fakes/standard-webhooks.mjs says a receiver must, and that
// verifier is itself held to the specification's published test vector.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import {System, poll, systemTest} from './harness.mjs';
import {Contract} from './contract.mjs';
import {sign, verify} from '../fakes/standard-webhooks.mjs';

const require = createRequire(import.meta.url);
const index = JSON.parse(fs.readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'));
const completed = index.find((e) => e.name === 'workflow_run').examples.find((p) => p.workflow_run.status === 'completed');

// Standard Webhooks' own vector (its libraries' "sign function works" test).
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

test('the fake webhook receiver verifies the Standard Webhooks test vector and nothing else', () => {
  assert.equal(sign(vector.secret, vector.id, vector.timestamp, vector.body), vector.signature);
  const headers = {'webhook-id': vector.id, 'webhook-timestamp': vector.timestamp, 'webhook-signature': vector.signature};
  const at = {now: Number(vector.timestamp)};
  assert.deepEqual(verify([vector.secret], headers, vector.body, at), {ok: true});
  // Rotation: the other secret's signature first, then the valid one.
  assert.ok(verify([vector.secret], {...headers, 'webhook-signature': `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${vector.signature}`},
    vector.body, at).ok);
  assert.ok(!verify([vector.secret], headers, vector.body.replace('2432232314', '2432232315'), at).ok, 'a changed body');
  assert.ok(!verify(['whsec_' + Buffer.alloc(24, 1).toString('base64')], headers, vector.body, at).ok, 'another secret');
  assert.ok(!verify([vector.secret], {...headers, 'webhook-id': 'msg_other'}, vector.body, at).ok, 'another id');
  assert.ok(!verify([vector.secret], headers, vector.body, {now: Number(vector.timestamp) + 301}).ok, 'too old');
  assert.ok(!verify([vector.secret], {...headers, 'webhook-signature': vector.signature.slice(0, 10)}, vector.body, at).ok, 'cut');
  const {'webhook-signature': _, ...unsigned} = headers;
  assert.ok(!verify([vector.secret], unsigned, vector.body, at).ok, 'unsigned');
});

const system = new System({notify: true});
const systemCase = systemTest(system);

let contract;
before(async () => {
  try {
    await system.start();
    // Every API answer here is checked against the served document too.
    contract = new Contract(await (await fetch(`${system.apiUrl}/openapi.json`)).json());
    globalThis.fetch = contract.wrap(globalThis.fetch, system.apiUrl);
  } catch (e) {
    e.message += `\n\nservice logs:\n${system.logs()}`;
    throw e;
  }
}, {timeout: 90000});
after(async () => { await system.stop(); }, {timeout: 60000});

async function api(method, path, body) {
  const response = await fetch(system.apiUrl + path, {
    method,
    headers: {authorization: `Bearer ${system.accessToken}`, 'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {status: response.status, body: text ? JSON.parse(text) : null, text};
}

async function channel(definition) {
  const created = await api('POST', '/api/v1/notification-channels', definition);
  assert.equal(created.status, 201, created.text);
  const rule = await api('POST', '/api/v1/notification-rules',
    {channel_id: created.body.id, changes: ['opened', 'recurred', 'acknowledged', 'resolved'], repository: completed.repository.full_name});
  assert.equal(rule.status, 201, rule.text);
  return created.body;
}

function run(id, conclusion, at) {
  const payload = structuredClone(completed);
  // Its page names its id, as GitHub's do: the notification links that page.
  const html_url = payload.workflow_run.html_url.replace(/\/runs\/\d+$/, `/runs/${id}`);
  Object.assign(payload.workflow_run, {id, conclusion, html_url, head_branch: 'e2e-notify', created_at: at, updated_at: at, run_started_at: at});
  return JSON.stringify(payload);
}

const received = async (receiver) => (await system.receiversControl('received')).filter((r) => r.receiver === receiver);

systemCase('a failing run posts one Slack message and one signed webhook and triggers PagerDuty, acknowledging tells all three, and the green run after it recovers them', async () => {
  // The channel signs with a new secret and the old one while rotating; this receiver knows only the old.
  const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
  const rotatedTo = 'whsec_' + Buffer.alloc(32, 8).toString('base64');
  await system.receiversControl('webhook-secrets', {ops: [secret]});
  await channel({kind: 'slack', name: 'ci-alerts', webhook_url: `${system.receiversUrl}/slack/T0/B0/e2e`});
  await channel({kind: 'webhook', name: 'ops', url: `${system.receiversUrl}/webhook/ops`, secrets: [rotatedTo, secret]});
  await channel({kind: 'pagerduty', name: 'on-call', routing_key: 'E2EROUTINGKEY0123456789abcdefABC', url: `${system.receiversUrl}/pagerduty/v2/enqueue`});

  const runId = completed.workflow_run.id + 7000000;
  const failed = await system.deliver('workflow_run', run(runId, 'failure', '2026-12-02T10:00:00Z'));
  assert.equal(failed.status, 202, await failed.text());
  await poll(async () => (await received('slack')).length >= 1 && (await received('webhook')).length >= 1
    && (await received('pagerduty')).length >= 1, 'the failure at all three receivers', 40000);
  const opened = JSON.parse((await received('webhook'))[0].body).data.incident.id;
  const acknowledged = await api('POST', `/api/v1/incidents/${opened}/acknowledge`);
  assert.equal(acknowledged.status, 200, acknowledged.text);
  await poll(async () => (await received('slack')).length >= 2 && (await received('webhook')).length >= 2
    && (await received('pagerduty')).length >= 2, 'the acknowledgement at all three receivers', 40000);

  const green = await system.deliver('workflow_run', run(runId + 1, 'success', '2026-12-02T11:00:00Z'));
  assert.equal(green.status, 202, await green.text());
  await poll(async () => (await received('slack')).length >= 3 && (await received('webhook')).length >= 3
    && (await received('pagerduty')).length >= 3, 'the recovery at all three receivers', 40000);
  // Nothing more arrives: one message per change and channel.
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const slack = await received('slack');
  assert.equal(slack.length, 3, JSON.stringify(slack));
  const [failing, seen, recovered] = slack.map((r) => JSON.parse(r.body));
  assert.match(failing.text, /^CI failing: .+ on e2e-notify in /);
  assert.match(seen.text, /^CI failure acknowledged: .+ on e2e-notify in /);
  assert.match(recovered.text, /^CI recovered: .+ on e2e-notify in /);
  assert.ok(failing.blocks.some((b) => b.text.text.includes(`/actions/runs/${runId}|Run ${runId}>`)), JSON.stringify(failing.blocks));

  const hooks = await received('webhook');
  assert.equal(hooks.length, 3, JSON.stringify(hooks));
  for (const hook of hooks) {
    assert.equal(hook.verified, true, hook.why);
    assert.equal(hook.headers['webhook-signature'].split(' ').length, 2, 'one signature per secret while rotating');
  }
  assert.deepEqual(hooks.map((h) => JSON.parse(h.body).type), ['incident.opened', 'incident.acknowledged', 'incident.resolved']);
  assert.equal(new Set(hooks.map((h) => h.headers['webhook-id'])).size, 3, 'a webhook-id per change');
  const incidentId = JSON.parse(hooks[0].body).data.incident.id;

  const pagerduty = await system.receiversControl('pagerduty');
  assert.deepEqual(Object.keys(pagerduty), [String(incidentId)], 'one dedup key, the incident id');
  assert.deepEqual(pagerduty[String(incidentId)], {actions: ['trigger', 'acknowledge', 'resolve'], state: 'resolved'});

  // The API shows each delivery, sent, with its attempt.
  const deliveries = await api('GET', `/api/v1/incidents/${incidentId}/notifications`);
  assert.equal(deliveries.status, 200, deliveries.text);
  assert.equal(deliveries.body.total, 9);
  for (const d of deliveries.body.items) {
    assert.equal(d.status, 'sent', JSON.stringify(d));
    assert.equal(d.attempt_history.length, 1);
  }
  const webhookIds = deliveries.body.items.filter((d) => d.channel.kind === 'webhook').map((d) => d.webhook_id);
  assert.deepEqual(webhookIds, hooks.map((h) => h.headers['webhook-id']), 'the ids the receiver de-duplicates on');

  // And the processors count them.
  const metrics = await (await fetch(`${system.processorsUrl}/metrics`)).text();
  for (const kind of ['slack', 'webhook', 'pagerduty'])
    assert.match(metrics, new RegExp(`faultline_notify_sends_total\\{kind="${kind}",outcome="sent"\\} 3`), metrics);

  // The channels as the API shows them, each answer held to the document.
  const channels = await api('GET', '/api/v1/notification-channels');
  assert.equal(channels.body.total, 3);
  assert.ok(!channels.text.includes('whsec_') && !channels.text.includes('/slack/T0/B0/e2e'), 'no secret shown');
  assert.deepEqual(contract.violations, []);
  for (const operation of ['POST /api/v1/notification-channels 201', 'POST /api/v1/notification-rules 201',
    'GET /api/v1/incidents/{id}/notifications 200', 'GET /api/v1/notification-channels 200'])
    assert.ok(contract.checked.has(operation), `${operation} among ${[...contract.checked]}`);
});
