// End to end over the built binaries: GitHub's example payloads, signed as
// GitHub signs them, go in at ingest, travel through Kafka and come out of the
// API; bad input is refused with its status and a problem, and publishes
// nothing. Run through scripts/test (CTest "e2e"), or by hand:
//   cd tests && FAULTLINE_TEST_DATABASE_URL=postgresql://... FAULTLINE_TEST_SCRATCH=/tmp/x \
//     FAULTLINE_BIN_DIR=../build/bin node --test e2e/
import {test} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import {execFile} from 'node:child_process';
import {createRequire} from 'node:module';
import {sign} from '@octokit/webhooks-methods';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import {System, poll, secrets, topics, readProblem, systemTest, runSystem, ingestMaxBodyBytes, hookId, jsonLines, binDir} from './harness.mjs';
import {Contract} from './contract.mjs';

const require = createRequire(import.meta.url);
const index = JSON.parse(fs.readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'));
const examples = index
  .filter((e) => e.name === 'workflow_run' || e.name === 'workflow_job')
  .flatMap((e) => e.examples.map((payload, i) => ({event: e.name, payload, label: `${e.name}[${i}] ${payload.action}`})));

const runIdOf = ({event, payload}) => (event === 'workflow_run' ? payload.workflow_run.id : payload.workflow_job.run_id);
const jobIdOf = ({event, payload}) => (event === 'workflow_job' ? payload.workflow_job.id : null);
const countBy = (items, keyOf) => items.reduce((m, x) => m.set(keyOf(x), (m.get(keyOf(x)) ?? 0) + 1), new Map());
const runMentions = countBy(examples, runIdOf);
const jobMentions = countBy(examples.filter((e) => e.event === 'workflow_job'), jobIdOf);

const runFields = ['repository', 'repository_id', 'run_id', 'run_attempt', 'workflow_id', 'name', 'head_branch', 'head_sha',
  'event', 'status', 'conclusion', 'html_url', 'created_at', 'run_started_at', 'updated_at'];
const jobFields = ['job_id', 'run_id', 'run_attempt', 'name', 'workflow_name', 'status', 'conclusion', 'html_url',
  'runner_name', 'labels', 'created_at', 'started_at', 'completed_at'];

const system = new System();
const systemCase = systemTest(system);

let contract;
runSystem(system, async () => {
  // From here on every API answer is checked against the served document.
  contract = new Contract(await (await fetch(`${system.apiUrl}/openapi.json`)).json());
  globalThis.fetch = contract.wrap(globalThis.fetch, system.apiUrl);
});

const deliver = (event, body, options) => system.deliver(event, body, options);

async function getJson(path) {
  const response = await fetch(system.apiUrl + path, {headers: {authorization: `Bearer ${system.accessToken}`}});
  const text = await response.text();
  return {status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : null, text};
}

const sameTime = (actual, expected, what) => {
  if (expected === undefined) return;
  if (expected === null) return assert.equal(actual, null, what);
  assert.equal(typeof actual, 'string', `${what}: ${actual}`);
  assert.equal(Date.parse(actual), Date.parse(expected), `${what}: ${actual} vs ${expected}`);
};

// Every delivery of the first test, for the ones after it.
const delivered = [];
// The answer to the body over the limit.
let tooLarge;

systemCase('every workflow_run and workflow_job example is accepted and shows up in the API', async () => {
  assert.ok(examples.some((e) => e.event === 'workflow_run') && examples.some((e) => e.event === 'workflow_job'),
    'the examples package has both events');
  for (const [i, example] of examples.entries()) {
    // Both secrets verify: a rotation in progress.
    const secret = secrets[i % 2];
    const delivery = crypto.randomUUID();
    const response = await deliver(example.event, JSON.stringify(example.payload), {secret, delivery});
    const text = await response.text();
    assert.equal(response.status, 202, `${example.label} signed with ${secret}: ${text}`);
    assert.equal(JSON.parse(text).accepted, true, `${example.label}: ${text}`);
    delivered.push({...example, delivery});
  }

  // Each run is served, with each example's job among its jobs.
  const runs = new Map();
  for (const d of delivered) {
    const runId = runIdOf(d);
    const run = await poll(async () => {
      const {status, body} = await getJson(`/api/v1/workflow-runs/${runId}`);
      if (status !== 200) return null;
      if (d.event === 'workflow_job' && !body.jobs?.some((j) => j.job_id === d.payload.workflow_job.id)) return null;
      return body;
    }, `run ${runId} (${d.label}) in the API`);
    for (const field of [...runFields, 'jobs']) assert.ok(field in run, `run ${runId} has "${field}": ${JSON.stringify(run)}`);
    assert.equal(run.run_id, runId);
    assert.equal(run.repository, d.payload.repository.full_name);
    assert.equal(run.repository_id, d.payload.repository.id);
    assert.ok(Array.isArray(run.jobs));
    for (const job of run.jobs) for (const field of jobFields) assert.ok(field in job, `job has "${field}": ${JSON.stringify(job)}`);
    runs.set(runId, run);
  }

  // A run that only one example mentions holds what that example said (state of shared runs depends on arrival order).
  for (const d of delivered.filter((x) => runMentions.get(runIdOf(x)) === 1)) {
    const run = (await getJson(`/api/v1/workflow-runs/${runIdOf(d)}`)).body;
    if (d.event === 'workflow_run') {
      const w = d.payload.workflow_run;
      assert.equal(run.status, w.status, `${d.label}: status`);
      assert.equal(run.conclusion, w.conclusion, `${d.label}: conclusion`);
      assert.equal(run.run_attempt, w.run_attempt ?? 1, `${d.label}: run_attempt`);
      assert.equal(run.workflow_id, w.workflow_id, `${d.label}: workflow_id`);
      assert.equal(run.name, w.name, `${d.label}: name`);
      assert.equal(run.head_branch, w.head_branch, `${d.label}: head_branch`);
      assert.equal(run.head_sha, w.head_sha, `${d.label}: head_sha`);
      assert.equal(run.event, w.event, `${d.label}: event`);
      assert.equal(run.html_url, w.html_url, `${d.label}: html_url`);
      sameTime(run.created_at, w.created_at, `${d.label}: created_at`);
      sameTime(run.run_started_at, w.run_started_at, `${d.label}: run_started_at`);
      sameTime(run.updated_at, w.updated_at, `${d.label}: updated_at`);
    } else {
      // Known only from one job: the run is as far along as that job says, and not concluded.
      const j = d.payload.workflow_job;
      const expected = j.status === 'in_progress' || j.status === 'completed' ? ['in_progress'] : ['queued', 'waiting', 'pending', 'requested'];
      assert.ok(expected.includes(run.status), `${d.label}: run status ${run.status} from a job ${j.status}`);
      assert.equal(run.conclusion, null, `${d.label}: conclusion of a run known only from one job`);
      if (j.head_sha) assert.equal(run.head_sha, j.head_sha, `${d.label}: head_sha`);
      if (j.head_branch) assert.equal(run.head_branch, j.head_branch, `${d.label}: head_branch`);
      if (j.workflow_name) assert.equal(run.name, j.workflow_name, `${d.label}: name from workflow_name`);
    }
  }

  // A job that only one example mentions holds what that example said.
  for (const d of delivered.filter((x) => x.event === 'workflow_job' && jobMentions.get(jobIdOf(x)) === 1)) {
    const j = d.payload.workflow_job;
    const job = runs.get(j.run_id).jobs.find((x) => x.job_id === j.id);
    assert.equal(job.run_id, j.run_id, `${d.label}: run_id`);
    assert.equal(job.run_attempt, j.run_attempt ?? 1, `${d.label}: run_attempt`);
    assert.equal(job.name, j.name, `${d.label}: name`);
    if (j.workflow_name !== undefined) assert.equal(job.workflow_name, j.workflow_name, `${d.label}: workflow_name`);
    assert.equal(job.status, j.status, `${d.label}: status`);
    assert.equal(job.conclusion, j.conclusion, `${d.label}: conclusion`);
    assert.equal(job.html_url, j.html_url, `${d.label}: html_url`);
    assert.equal(job.runner_name, j.runner_name ?? null, `${d.label}: runner_name`);
    assert.deepEqual(job.labels, j.labels, `${d.label}: labels`);
    sameTime(job.created_at, j.created_at, `${d.label}: created_at`);
    sameTime(job.started_at, j.started_at, `${d.label}: started_at`);
    sameTime(job.completed_at, j.completed_at, `${d.label}: completed_at`);
  }

  // Each repository's list holds each of its runs.
  const byRepository = new Map();
  for (const d of delivered) {
    const name = d.payload.repository.full_name;
    byRepository.set(name, new Set([...(byRepository.get(name) ?? []), runIdOf(d)]));
  }
  for (const [repository, runIds] of byRepository) {
    const {status, body, text} = await getJson(`/api/v1/workflow-runs?repository=${encodeURIComponent(repository)}&page=1&page_size=100`);
    assert.equal(status, 200, text);
    assert.deepEqual(Object.keys(body).sort(), ['items', 'page', 'page_size', 'pages', 'total'], text);
    assert.equal(body.page, 1);
    assert.equal(body.page_size, 100);
    assert.equal(body.total, runIds.size, `${repository}: total (${text})`);
    assert.equal(body.pages, Math.ceil(body.total / body.page_size));
    for (const item of body.items) {
      assert.equal(item.repository, repository);
      for (const field of runFields) assert.ok(field in item, `list item has "${field}": ${JSON.stringify(item)}`);
    }
    assert.deepEqual(new Set(body.items.map((item) => item.run_id)), runIds, `${repository}: the listed runs`);
  }
});

systemCase('accepted deliveries are on the topics as CloudEvents, keyed <repository_id>/<run_id>, and valid against their schema', async () => {
  assert.ok(delivered.length > 0, 'the first test delivered the examples');
  const messages = {workflow_run: await system.topic(topics.run), workflow_job: await system.topic(topics.job)};
  const ajv = new Ajv2020({strict: false});
  addFormats(ajv);
  const schemas = new URL('../../schemas/events/', import.meta.url);
  ajv.addSchema(JSON.parse(fs.readFileSync(new URL('envelope.v1.json', schemas), 'utf8')), 'envelope.v1.json');
  const validate = {
    workflow_run: ajv.compile(JSON.parse(fs.readFileSync(new URL('workflow_run.v1.json', schemas), 'utf8'))),
    workflow_job: ajv.compile(JSON.parse(fs.readFileSync(new URL('workflow_job.v1.json', schemas), 'utf8'))),
  };
  for (const d of delivered) {
    const found = messages[d.event].filter((m) => m.headers.ce_id === d.delivery);
    assert.equal(found.length, 1, `${d.label}: one message with ce_id ${d.delivery} on the ${d.event} topic`);
    const other = d.event === 'workflow_run' ? 'workflow_job' : 'workflow_run';
    assert.equal(messages[other].filter((m) => m.headers.ce_id === d.delivery).length, 0, `${d.label}: nothing on the ${other} topic`);
    const m = found[0];
    assert.equal(m.key, `${d.payload.repository.id}/${runIdOf(d)}`, `${d.label}: key`);
    assert.equal(m.headers.ce_specversion, '1.0', `${d.label}: ce_specversion`);
    assert.equal(m.headers.ce_type, `com.github.${d.event}.${d.payload.action}`, `${d.label}: ce_type`);
    assert.ok(m.headers.ce_source, `${d.label}: ce_source`);
    assert.ok(m.headers.ce_source.includes(d.payload.repository.full_name), `${d.label}: ce_source ${m.headers.ce_source}`);
    assert.match(m.headers.ce_time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/, `${d.label}: ce_time`);
    assert.ok(Math.abs(Date.parse(m.headers.ce_time) - Date.now()) < 10 * 60 * 1000, `${d.label}: ce_time ${m.headers.ce_time} is now`);
    assert.equal(m.headers['content-type'], 'application/json', `${d.label}: content-type`);
    const value = JSON.parse(m.value);
    assert.ok(validate[d.event](value), `${d.label}: ${JSON.stringify(validate[d.event].errors)}`);
    assert.equal(value.delivery_id, d.delivery);
    assert.equal(String(value.hook_id), hookId);
    assert.equal(value.action, d.payload.action);
    assert.equal(value.repository.id, d.payload.repository.id);
  }
});

systemCase('every pull_request example is published on ci.pull_request.v1, keyed <repository_id>/<number>, valid against its schema', async () => {
  const pullRequests = index.find((e) => e.name === 'pull_request').examples;
  assert.ok(pullRequests.length > 10, 'the examples package has pull_request deliveries');
  const sent = [];
  for (const payload of pullRequests) {
    const delivery = crypto.randomUUID();
    const response = await deliver('pull_request', JSON.stringify(payload), {delivery});
    const text = await response.text();
    assert.equal(response.status, 202, `pull_request ${payload.action}: ${text}`);
    assert.equal(JSON.parse(text).accepted, true, `pull_request ${payload.action}: ${text}`);
    sent.push({payload, delivery});
  }
  const ajv = new Ajv2020({strict: false});
  addFormats(ajv);
  const schemas = new URL('../../schemas/events/', import.meta.url);
  ajv.addSchema(JSON.parse(fs.readFileSync(new URL('envelope.v1.json', schemas), 'utf8')), 'envelope.v1.json');
  const validate = ajv.compile(JSON.parse(fs.readFileSync(new URL('pull_request.v1.json', schemas), 'utf8')));
  const messages = await poll(async () => {
    const all = await system.topic(topics.pullRequest);
    return sent.every((d) => all.some((m) => m.headers.ce_id === d.delivery)) ? all : null;
  }, 'every pull_request delivery on its topic');
  for (const {payload, delivery} of sent) {
    const found = messages.filter((m) => m.headers.ce_id === delivery);
    assert.equal(found.length, 1, `${payload.action}: one message`);
    const [m] = found;
    assert.equal(m.key, `${payload.repository.id}/${payload.pull_request.number}`);
    assert.equal(m.headers.ce_type, `com.github.pull_request.${payload.action}`);
    const value = JSON.parse(m.value);
    assert.ok(validate(value), `${payload.action}: ${JSON.stringify(validate.errors)}`);
    assert.equal(value.pull_request.number, payload.pull_request.number);
    assert.equal(value.pull_request.head.ref, payload.pull_request.head.ref);
    assert.equal(value.pull_request.merged, payload.pull_request.merged ?? false);
    assert.equal(value.pull_request.body, undefined, 'the body is left out');
  }
  // Nothing of them reached the run topics.
  const runs = await system.topic(topics.run);
  assert.ok(!runs.some((m) => sent.some((d) => d.delivery === m.headers.ce_id)), 'no pull_request on the run topic');
});

systemCase('incident events on ci.incident.v1 are valid against schemas/events/incident.v1.json', async () => {
  const ajv = new Ajv2020({strict: false});
  addFormats(ajv);
  const schema = JSON.parse(fs.readFileSync(new URL('../../schemas/events/incident.v1.json', import.meta.url), 'utf8'));
  const validate = ajv.compile(schema);
  // A completed example made to fail, on a run and branch of its own, opens an incident.
  const example = examples.find((e) => e.event === 'workflow_run' && e.payload.workflow_run.status === 'completed');
  assert.ok(example, 'a completed workflow_run example');
  const failing = structuredClone(example.payload);
  failing.workflow_run.id += 900000;
  failing.workflow_run.conclusion = 'failure';
  failing.workflow_run.head_branch = 'e2e-incident-schema';
  const response = await deliver('workflow_run', JSON.stringify(failing));
  assert.equal(response.status, 202, await response.text());
  let messages = [];
  for (let tries = 0; tries < 60 && !messages.some((m) => JSON.parse(m.value).type === 'opened'); ++tries) {
    messages = await system.topic(topics.incident);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.ok(messages.some((m) => JSON.parse(m.value).type === 'opened'), `an "opened" event among ${messages.length}`);
  for (const m of messages) {
    const value = JSON.parse(m.value);
    assert.ok(validate(value), `${m.value}: ${JSON.stringify(validate.errors)}`);
    assert.equal(m.key, String(value.incident.id), 'keyed by the incident id');
  }
  assert.ok(!validate({type: 'opened', run_id: 1, incident: {id: 1}}), 'the schema refuses an incident without its fields');
});

systemCase('one trace id finds a delivery in the ingest and processors logs and in its incident\'s GitHub calls', async () => {
  const example = examples.find((e) => e.event === 'workflow_run' && e.payload.workflow_run.status === 'completed');
  const failing = structuredClone(example.payload);
  failing.workflow_run.id += 950000;
  failing.workflow_run.conclusion = 'failure';
  failing.workflow_run.head_branch = 'e2e-traced';
  const response = await deliver('workflow_run', JSON.stringify(failing));
  assert.equal(response.status, 202, await response.text());
  const traceparent = response.headers.get('traceparent');
  assert.match(traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const traceId = traceparent.slice(3, 35);

  const incident = await poll(async () => {
    const list = await getJson('/api/v1/incidents?state=open&page_size=100');
    const found = list.body.items.find((i) => i.branch === 'e2e-traced');
    if (!found) return null;
    const detail = await getJson(`/api/v1/incidents/${found.id}`);
    return detail.body.github_calls.length ? detail.body : null;
  }, 'the incident and its GitHub calls');
  for (const call of incident.github_calls) assert.equal(call.trace_id, traceId, JSON.stringify(call));

  const traced = (service) => jsonLines(service.log).filter((l) => l.trace_id === traceId);
  const ingestLines = traced(system.ingest);
  assert.ok(ingestLines.some((l) => l.msg === 'webhook published'), JSON.stringify(ingestLines));
  assert.ok(ingestLines.every((l) => l.span_id === traceparent.slice(36, 52)), 'ingest\'s lines are its own span');
  const processorLines = await poll(async () => {
    const lines = traced(system.processors);
    return lines.some((l) => l.msg === 'incident changed' && l.change === 'opened') ? lines : null;
  }, 'an "incident changed" line of the processors under the trace');
  assert.ok(processorLines.every((l) => /^[0-9a-f]{16}$/.test(l.span_id) && l.span_id !== traceparent.slice(36, 52)),
    JSON.stringify(processorLines));
});

systemCase('a redelivery and a late event change nothing that is already right', async () => {
  const example = delivered.find((d) => d.event === 'workflow_job' && jobMentions.get(jobIdOf(d)) === 1 && runMentions.get(runIdOf(d)) === 1);
  assert.ok(example, 'an example whose job and run no other example mentions');
  const runId = runIdOf(example);
  const before = (await getJson(`/api/v1/workflow-runs/${runId}`)).body;
  const listPath = `/api/v1/workflow-runs?repository=${encodeURIComponent(example.payload.repository.full_name)}`;
  const totalBefore = (await getJson(listPath)).body.total;

  // GitHub's redelivery: same body, same X-GitHub-Delivery.
  const again = await deliver('workflow_job', JSON.stringify(example.payload), {delivery: example.delivery});
  assert.equal(again.status, 202, await again.text());
  // Then a job of the same run (same key, so same partition, processed after it) tells when it has been handled.
  const marker = structuredClone(example.payload);
  marker.workflow_job.id = example.payload.workflow_job.id + 7;
  marker.workflow_job.name = 'e2e marker';
  const sent = await deliver('workflow_job', JSON.stringify(marker));
  assert.equal(sent.status, 202, await sent.text());
  const after = await poll(async () => {
    const {body} = await getJson(`/api/v1/workflow-runs/${runId}`);
    return body?.jobs?.some((j) => j.job_id === marker.workflow_job.id) ? body : null;
  }, 'the marker job');
  assert.equal(after.jobs.filter((j) => j.job_id === example.payload.workflow_job.id).length, 1, 'the redelivered job once');
  assert.equal(after.jobs.length, before.jobs.length + 1, 'only the marker job is new');
  assert.equal((await getJson(listPath)).body.total, totalBefore, 'no new run');

  // A run that completed, then a late "requested" for it: the run does not go back.
  const completed = examples.find((e) => e.event === 'workflow_run' && e.payload.workflow_run.status === 'completed'
    && e.payload.workflow_run.conclusion === 'success');
  const requested = examples.find((e) => e.event === 'workflow_run' && e.payload.action === 'requested'
    && e.payload.workflow_run.status === 'queued');
  assert.ok(completed && requested, 'examples of a completed and of a requested run');
  const newRunId = 7000000000 + crypto.randomInt(1000000);
  for (const e of [completed, requested]) {
    const payload = structuredClone(e.payload);
    payload.workflow_run.id = newRunId;
    payload.workflow_run.run_number = 4242;
    const response = await deliver('workflow_run', JSON.stringify(payload));
    assert.equal(response.status, 202, await response.text());
  }
  // Runs have no marker that would travel behind the late event on its partition: wait for the run to complete,
  // then give the late event time to be handled and check the run stayed completed.
  await poll(async () => (await getJson(`/api/v1/workflow-runs/${newRunId}`)).body?.status === 'completed', `run ${newRunId} completed`);
  await new Promise((r) => setTimeout(r, 2000));
  const run = (await getJson(`/api/v1/workflow-runs/${newRunId}`)).body;
  assert.equal(run.status, 'completed', 'a late requested event does not regress a completed run');
  assert.equal(run.conclusion, 'success');

  // A re-run is a new attempt of the same run: the run's page shows the latest attempt.
  const rerunId = newRunId + 1;
  for (const [attempt, conclusion] of [[1, 'failure'], [2, 'success']]) {
    const payload = structuredClone(completed.payload);
    Object.assign(payload.workflow_run, {id: rerunId, run_attempt: attempt, conclusion, run_number: 4243});
    const response = await deliver('workflow_run', JSON.stringify(payload));
    assert.equal(response.status, 202, await response.text());
  }
  const rerun = await poll(async () => {
    const {body} = await getJson(`/api/v1/workflow-runs/${rerunId}`);
    return body?.run_attempt === 2 ? body : null;
  }, `attempt 2 of run ${rerunId}`);
  assert.equal(rerun.status, 'completed');
  assert.equal(rerun.conclusion, 'success', 'the latest attempt\'s conclusion');
});

systemCase('every bad-input row of the ingest table gives its status and problem, and publishes nothing', async () => {
  const example = examples.find((e) => e.event === 'workflow_run');
  const body = JSON.stringify(example.payload);
  const jobBody = JSON.stringify(examples.find((e) => e.event === 'workflow_job').payload);
  const tag = crypto.randomBytes(4).toString('hex');
  const id = (name) => `e2e-rejected-${name}-${tag}`;
  const post = (headers, payload = body) => fetch(`${system.ingestUrl}/webhooks/github`, {method: 'POST', headers, body: payload});
  const withoutRepository = structuredClone(example.payload);
  delete withoutRepository.repository;
  const withoutRun = structuredClone(example.payload);
  delete withoutRun.workflow_run;
  const withoutRunId = structuredClone(example.payload);
  delete withoutRunId.workflow_run.id;
  const withoutAction = structuredClone(example.payload);
  delete withoutAction.action;
  const withoutJob = JSON.parse(jobBody);
  delete withoutJob.workflow_job;

  const rows = [
    // missing/bad signature -> 401
    ['no signature', 401, () => deliver('workflow_run', body, {delivery: id('unsigned'), headers: {'x-hub-signature-256': undefined}})],
    ['a secret not configured', 401, () => deliver('workflow_run', body, {delivery: id('wrong-secret'), secret: 'not-our-secret'})],
    ['signature of another body', 401, async () => deliver('workflow_run', body, {delivery: id('tampered'),
      headers: {'x-hub-signature-256': await sign(secrets[1], body.replace('"completed"', '"requested"'))}})],
    ['sha1 signature only', 401, () => deliver('workflow_run', body, {delivery: id('sha1'), headers: {'x-hub-signature-256': undefined,
      'x-hub-signature': `sha1=${crypto.createHmac('sha1', secrets[1]).update(body).digest('hex')}`}})],
    ['malformed signature', 401, () => deliver('workflow_run', body, {delivery: id('malformed-sig'), headers: {'x-hub-signature-256': 'sha256=zz'}})],
    ['empty signature', 401, () => deliver('workflow_run', body, {delivery: id('empty-sig'), headers: {'x-hub-signature-256': ''}})],
    ['unsigned ping', 401, () => deliver('ping', '{"zen":"Keep it logically awesome.","hook_id":424242}',
      {delivery: id('unsigned-ping'), headers: {'x-hub-signature-256': undefined}})],
    // missing headers, body not JSON, required fields missing -> 400
    ['no X-GitHub-Event', 400, () => deliver('workflow_run', body, {delivery: id('no-event'), headers: {'x-github-event': undefined}})],
    ['no X-GitHub-Delivery', 400, async () => post({'content-type': 'application/json', 'x-github-event': 'workflow_run',
      'x-hub-signature-256': await sign(secrets[1], body)})],
    ['empty X-GitHub-Delivery', 400, () => deliver('workflow_run', body, {delivery: ''})],
    ['body not JSON', 400, () => deliver('workflow_run', '{"action": "completed", oops', {delivery: id('not-json')})],
    ['empty body', 400, () => deliver('workflow_run', '', {delivery: id('empty-body')})],
    ['body a JSON array', 400, () => deliver('workflow_run', '[1,2]', {delivery: id('array')})],
    ['workflow_run without repository', 400, () => deliver('workflow_run', JSON.stringify(withoutRepository), {delivery: id('no-repository')})],
    ['workflow_run without workflow_run', 400, () => deliver('workflow_run', JSON.stringify(withoutRun), {delivery: id('no-run')})],
    ['workflow_run without its id', 400, () => deliver('workflow_run', JSON.stringify(withoutRunId), {delivery: id('no-run-id')})],
    ['workflow_run without action', 400, () => deliver('workflow_run', JSON.stringify(withoutAction), {delivery: id('no-action')})],
    ['workflow_job without workflow_job', 400, () => deliver('workflow_job', JSON.stringify(withoutJob), {delivery: id('no-job')})],
    // published nowhere, but not errors
    ['ping', 200, () => deliver('ping', '{"zen":"Keep it logically awesome.","hook_id":424242}', {delivery: id('ping')})],
    ['push', 202, () => deliver('push', JSON.stringify({ref: 'refs/heads/main', repository: example.payload.repository}), {delivery: id('push')})],
    ['push of a workflow_run body', 202, () => deliver('push', body, {delivery: id('push-run-body')})],
  ];

  const totals = async () => (await Promise.all([topics.run, topics.job].map((t) => system.headerLines(t)))).flat().length;
  const totalBefore = await totals();
  for (const [name, status, send] of rows) {
    const response = await send();
    if (status >= 400) {
      await readProblem(response, status, assert, name);
    } else {
      const text = await response.text();
      assert.equal(response.status, status, `${name}: ${text}`);
      if (name.startsWith('push')) assert.equal(JSON.parse(text).ignored, true, `${name}: ${text}`);
    }
  }

  // Over the limit (what follows on the same connection: the tests after the next one).
  const tooBig = JSON.stringify({...example.payload, padding: 'x'.repeat(ingestMaxBodyBytes + 50 * 1024)});
  assert.ok(Buffer.byteLength(tooBig) > ingestMaxBodyBytes);
  const signature = await sign(secrets[1], tooBig);
  const refused = await new Promise((resolve, reject) => {
    const req = http.request(`${system.ingestUrl}/webhooks/github`, {method: 'POST', agent: false, headers: {
      'content-type': 'application/json', 'x-github-event': 'workflow_run', 'x-github-delivery': id('too-big'),
      'x-github-hook-id': hookId, 'x-hub-signature-256': signature, 'content-length': Buffer.byteLength(tooBig)}}, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => { resolve({status: res.statusCode, type: res.headers['content-type'], connection: res.headers.connection,
        text: Buffer.concat(chunks).toString()}); req.destroy(); });
      res.on('error', reject);
    });
    // The server may answer and close before it has read everything.
    req.on('error', (e) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? null : reject(e)));
    req.end(tooBig);
  });
  assert.equal(refused.status, 413, `over the limit: ${refused.text}`);
  tooLarge = refused;
  assert.equal((await fetch(`${system.ingestUrl}/health`)).status, 200, 'ingest still serves after a 413');

  // Nothing of the above reached a topic.
  await new Promise((r) => setTimeout(r, 500));
  const rejected = ['unsigned', 'wrong-secret', 'tampered', 'sha1', 'malformed-sig', 'empty-sig', 'unsigned-ping', 'no-event',
    'not-json', 'empty-body', 'array', 'no-repository', 'no-run', 'no-run-id', 'no-action', 'no-job', 'ping', 'push',
    'push-run-body', 'too-big'].map(id);
  const counts = await system.countCeIds(rejected);
  assert.deepEqual(counts, Object.fromEntries(rejected.map((x) => [x, 0])), 'messages published per refused delivery id');
  assert.equal(await totals(), totalBefore, 'no message at all was published by the refused requests');

  // A valid delivery of ~900 KB, far above Pistache's 4 KB default and under our 1 MB limit, is accepted and published.
  const large = JSON.stringify({...example.payload, padding: 'y'.repeat(900 * 1024)});
  assert.ok(Buffer.byteLength(large) > 900 * 1024 && Buffer.byteLength(large) < ingestMaxBodyBytes);
  const accepted = await deliver('workflow_run', large, {delivery: `e2e-large-${tag}`});
  const acceptedText = await accepted.text();
  assert.equal(accepted.status, 202, acceptedText);
  assert.equal(JSON.parse(acceptedText).accepted, true, acceptedText);
  assert.equal(await system.countCeId(`e2e-large-${tag}`), 1, 'the large delivery is on the topic once');
  const onTopic = (await system.topic(topics.run)).find((m) => m.headers.ce_id === `e2e-large-${tag}`);
  assert.equal(onTopic.key, `${example.payload.repository.id}/${example.payload.workflow_run.id}`);
  assert.equal(onTopic.headers.ce_type, `com.github.workflow_run.${example.payload.action}`);
  assert.ok(Buffer.byteLength(onTopic.value) < 64 * 1024, 'the event is the normalized data, not the padded payload');
});

// Refused from its headers, before the body is read: the problem, and the connection is not kept.
test('a body over the limit is refused with a problem', () => {
  assert.ok(tooLarge, 'the bad-input test sent a body over the limit');
  assert.equal(tooLarge.status, 413);
  assert.match(tooLarge.type ?? '(none)', /^application\/problem\+json\b/, `content-type of the 413: ${tooLarge.type ?? '(none)'}, body: ${tooLarge.text}`);
  const problem = JSON.parse(tooLarge.text);
  assert.equal(problem.status, 413);
  assert.match(problem.detail, new RegExp(`larger than ${ingestMaxBodyBytes} bytes`), tooLarge.text);
  assert.match(tooLarge.connection ?? '(none)', /^close$/i, 'connection header of the 413');
});

systemCase('ingest keeps HTTP/1.1 connections alive', async () => {
  const agent = new http.Agent({keepAlive: true, maxSockets: 1});
  const request = (method, path, {headers = {}, body} = {}) => new Promise((resolve, reject) => {
    const req = http.request(`${system.ingestUrl}${path}`, {method, agent, headers}, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({reused: req.reusedSocket, connection: res.headers.connection, status: res.statusCode,
        text: Buffer.concat(chunks).toString()}));
    });
    req.on('error', reject);
    req.end(body);
  });
  try {
    const first = await request('GET', '/health');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.reused, false);
    assert.match(first.connection ?? '', /keep-alive/i, 'connection header of the first response');
    const second = await request('GET', '/health');
    assert.equal(second.status, 200, second.text);
    assert.equal(second.reused, true, 'the second request went over the first connection');
    assert.match(second.connection ?? '', /keep-alive/i, 'connection header of the second response');

    // A webhook and then another request over the same connection.
    const example = examples.find((e) => e.event === 'workflow_job');
    const body = JSON.stringify(example.payload);
    const hook = await request('POST', '/webhooks/github', {body, headers: {
      'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-github-event': 'workflow_job',
      'x-github-delivery': crypto.randomUUID(), 'x-github-hook-id': hookId, 'x-hub-signature-256': await sign(secrets[0], body)}});
    assert.equal(hook.status, 202, hook.text);
    assert.equal(hook.reused, true, 'the webhook went over the same connection');
    const third = await request('GET', '/health');
    assert.equal(third.status, 200, third.text);
    assert.equal(third.reused, true, 'the connection survives a webhook');
  } finally {
    agent.destroy();
  }
});

// HTTP/1.1 written by hand on a socket of our own, which never closes its side first: whether the server
// closed the connection is then the server's doing. Responses are read in order (Content-Length bodies).
class RawConnection {
  constructor(baseUrl) {
    const {hostname, port} = new URL(baseUrl);
    this.socket = net.connect({host: hostname, port: Number(port)});
    this.socket.setNoDelay(true);
    this.received = Buffer.alloc(0);
    this.waiting = [];
    this.serverClosed = false;
    this.errors = [];
    this.ended = new Promise((resolve) => this.socket.on('end', () => { this.serverClosed = true; resolve(); }));
    this.socket.on('data', (chunk) => { this.received = Buffer.concat([this.received, chunk]); this.pump(); });
    this.socket.on('error', (e) => this.errors.push(e.code ?? e.message));
    this.socket.on('close', () => { for (const resolve of this.waiting.splice(0)) resolve(null); });
  }

  // Resolves once the socket has taken the bytes (the server may answer before it read them all).
  write(data) {
    return new Promise((resolve) => this.socket.write(data, () => resolve()));
  }

  // The next complete response, or null if the connection closed first.
  response() {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(null);
      this.waiting.push(resolve);
      this.pump();
    });
  }

  pump() {
    while (this.waiting.length) {
      const end = this.received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = this.received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      if (this.received.length < end + 4 + length) return;
      const text = this.received.subarray(end + 4, end + 4 + length).toString();
      this.received = this.received.subarray(end + 4 + length);
      this.waiting.shift()({status: Number(statusLine.split(' ')[1]), headers, text, statusLine});
    }
  }

  destroy() {
    this.socket.destroy();
  }
}

const head = (method, path, headers) =>
  `${method} ${path} HTTP/1.1\r\nhost: faultline\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

async function signedHead(body, delivery, extra = {}) {
  return head('POST', '/webhooks/github', {'content-type': 'application/json', 'x-github-event': 'workflow_run',
    'x-github-delivery': delivery, 'x-github-hook-id': hookId, 'x-hub-signature-256': await sign(secrets[1], body),
    'user-agent': 'GitHub-Hookshot/e2e', ...extra});
}

// A request over a keep-alive agent; `socket` is the connection it went over.
const overAgent = (agent, url, {method = 'GET', headers = {}, body} = {}) => new Promise((resolve, reject) => {
  let socket;
  let answered = false;
  const req = http.request(url, {method, agent, headers}, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      answered = true;
      resolve({status: res.statusCode, type: res.headers['content-type'], connection: res.headers.connection,
        reused: req.reusedSocket, socket, text: Buffer.concat(chunks).toString()});
    });
  });
  req.on('socket', (s) => { socket = s; });
  // The client may still be writing a refused body when the connection goes.
  req.on('error', (e) => (answered || ['ECONNRESET', 'EPIPE'].includes(e.code) ? null : reject(e)));
  req.end(body);
});

const closeOf = (socket) => (socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', resolve)));

async function assertRefusedAndClosed(raw, what, detail) {
  const refused = await raw.response();
  assert.ok(refused, `${what}: an answer before the connection closed`);
  assert.equal(refused.status, 413, `${what}: ${refused.statusLine} ${refused.text}`);
  assert.match(refused.headers['content-type'] ?? '(none)', /^application\/problem\+json\b/, `${what}: ${refused.text}`);
  const problem = JSON.parse(refused.text);
  assert.equal(problem.status, 413, `${what}: ${refused.text}`);
  assert.match(problem.detail, detail, `${what}: ${refused.text}`);
  assert.match(refused.headers.connection ?? '(none)', /^close$/i, `${what}: connection header`);
  // The server closes its side; we never closed ours.
  await raw.ended;
  assert.equal(raw.serverClosed, true, `${what}: the server closed the connection`);
  assert.equal(raw.received.length, 0, `${what}: nothing but the 413 came back (no answer to the rest of the body): ${raw.received.toString().slice(0, 200)}`);
}

const mb26 = 26 * 1024 * 1024;

systemCase('a 26 MB delivery is refused from its headers with a 413 problem, and the server closes the connection', async () => {
  const example = examples.find((e) => e.event === 'workflow_run');
  const body = JSON.stringify({...example.payload, padding: 'x'.repeat(mb26)});
  assert.ok(Buffer.byteLength(body) > 25 * 1024 * 1024, 'over ingest\'s default limit (25 MB) as well as the configured one');
  const raw = new RawConnection(system.ingestUrl);
  try {
    await raw.write(await signedHead(body, `e2e-26mb-raw-${crypto.randomUUID()}`, {'content-length': Buffer.byteLength(body)}));
    raw.write(body);
    await assertRefusedAndClosed(raw, '26 MB delivery', new RegExp(`body is larger than ${ingestMaxBodyBytes} bytes`));
  } finally {
    raw.destroy();
  }
});

systemCase('a chunked delivery over the limit is refused with a 413 problem as it passes the limit, and the connection is closed', async () => {
  const example = examples.find((e) => e.event === 'workflow_run');
  const body = JSON.stringify({...example.payload, padding: 'x'.repeat(ingestMaxBodyBytes + 64 * 1024)});
  const raw = new RawConnection(system.ingestUrl);
  try {
    await raw.write(await signedHead(body, `e2e-chunked-${crypto.randomUUID()}`, {'transfer-encoding': 'chunked'}));
    const chunk = 16 * 1024;
    for (let at = 0; at < body.length && !raw.serverClosed; at += chunk) {
      const piece = body.slice(at, at + chunk);
      await raw.write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
    }
    if (!raw.serverClosed) raw.write('0\r\n\r\n');
    await assertRefusedAndClosed(raw, 'chunked delivery', new RegExp(`larger than`));
  } finally {
    raw.destroy();
  }
});

systemCase('a chunked delivery under the limit is accepted', async () => {
  const example = examples.find((e) => e.event === 'workflow_run');
  const body = JSON.stringify(example.payload);
  const raw = new RawConnection(system.ingestUrl);
  try {
    await raw.write(await signedHead(body, `e2e-chunked-ok-${crypto.randomUUID()}`, {'transfer-encoding': 'chunked'}));
    const half = Math.floor(body.length / 2);
    for (const piece of [body.slice(0, half), body.slice(half)]) await raw.write(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
    await raw.write('0\r\n\r\n');
    const accepted = await raw.response();
    assert.ok(accepted, 'an answer');
    assert.equal(accepted.status, 202, accepted.text);
  } finally {
    raw.destroy();
  }
});

systemCase('after a refused 26 MB delivery the next one goes over a new connection and is accepted', async () => {
  const agent = new http.Agent({keepAlive: true, maxSockets: 1});
  const url = `${system.ingestUrl}/webhooks/github`;
  const example = examples.find((e) => e.event === 'workflow_run');
  const deliveryHeaders = async (body, delivery) => ({'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
    'x-github-event': 'workflow_run', 'x-github-delivery': delivery, 'x-github-hook-id': hookId,
    'x-hub-signature-256': await sign(secrets[1], body), 'user-agent': 'GitHub-Hookshot/e2e'});
  try {
    const opened = await overAgent(agent, `${system.ingestUrl}/health`);
    assert.equal(opened.status, 200, opened.text);

    const big = JSON.stringify({...example.payload, padding: 'x'.repeat(mb26)});
    const bigId = `e2e-26mb-${crypto.randomUUID()}`;
    const refused = await overAgent(agent, url, {method: 'POST', body: big, headers: await deliveryHeaders(big, bigId)});
    assert.equal(refused.reused, true, 'the 26 MB delivery went over the kept-alive connection');
    assert.equal(refused.status, 413, refused.text);
    assert.match(refused.type ?? '(none)', /^application\/problem\+json\b/, refused.text);
    assert.equal(JSON.parse(refused.text).status, 413, refused.text);
    assert.match(refused.connection ?? '(none)', /^close$/i, 'connection header of the 413');
    await closeOf(refused.socket);

    const body = JSON.stringify(example.payload);
    const nextId = `e2e-after-413-${crypto.randomUUID()}`;
    const next = await overAgent(agent, url, {method: 'POST', body, headers: await deliveryHeaders(body, nextId)});
    assert.equal(next.reused, false, 'the next delivery went over a new connection');
    assert.notEqual(next.socket, refused.socket);
    assert.equal(next.status, 202, next.text);
    assert.equal(JSON.parse(next.text).delivery_id, nextId, next.text);
    assert.equal(await system.countCeId(nextId), 1, 'the next delivery is on the topic');
    assert.equal(await system.countCeId(bigId), 0, 'the refused one is not');

    // The new connection is kept alive as usual.
    const after = await overAgent(agent, `${system.ingestUrl}/health`);
    assert.equal(after.status, 200, after.text);
    assert.equal(after.reused, true, 'keep-alive after the new connection');
  } finally {
    agent.destroy();
  }
});

systemCase('a delivery whose head and body arrive in pieces is accepted, and the connection serves the next one', async () => {
  const example = examples.find((e) => e.event === 'workflow_run');
  const body = JSON.stringify(example.payload);
  const raw = new RawConnection(system.ingestUrl);
  try {
    const request = await signedHead(body, `e2e-pieces-${crypto.randomUUID()}`, {'content-length': Buffer.byteLength(body)});
    // Separate writes with a pause between them, so the server sees separate reads.
    const cuts = [5, 40, request.length - 3, request.length, request.length + 100];
    const whole = request + body;
    let at = 0;
    for (const cut of [...cuts, whole.length]) {
      await raw.write(whole.slice(at, cut));
      at = cut;
      await new Promise((r) => setTimeout(r, 30));
    }
    const first = await raw.response();
    assert.ok(first, 'an answer to the request sent in pieces');
    assert.equal(first.status, 202, first.text);
    assert.match(first.headers.connection ?? '', /keep-alive/i);

    await raw.write(await signedHead(body, `e2e-pieces-next-${crypto.randomUUID()}`, {'content-length': Buffer.byteLength(body)}) + body);
    const second = await raw.response();
    assert.ok(second, 'an answer on the same connection');
    assert.equal(second.status, 202, second.text);
    assert.equal(raw.serverClosed, false);
  } finally {
    raw.destroy();
  }
});

systemCase('the API refuses a body over 1 MiB with a 413 problem, closes the connection, and serves the next request on a new one', async () => {
  const body = JSON.stringify({padding: 'x'.repeat(2 * 1024 * 1024)});
  const path = '/api/v1/incidents/1/acknowledge';
  const raw = new RawConnection(system.apiUrl);
  try {
    await raw.write(head('POST', path, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      authorization: `Bearer ${system.accessToken}`}));
    raw.write(body);
    await assertRefusedAndClosed(raw, 'API body over 1 MiB', /body is larger than 1048576 bytes/);
  } finally {
    raw.destroy();
  }

  const agent = new http.Agent({keepAlive: true, maxSockets: 1});
  try {
    const opened = await overAgent(agent, `${system.apiUrl}/health`);
    assert.equal(opened.status, 200, opened.text);
    const refused = await overAgent(agent, `${system.apiUrl}${path}`, {method: 'POST', body, headers: {
      'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${system.accessToken}`}});
    assert.equal(refused.reused, true, 'the large request went over the kept-alive connection');
    assert.equal(refused.status, 413, refused.text);
    assert.match(refused.type ?? '(none)', /^application\/problem\+json\b/, refused.text);
    assert.match(refused.connection ?? '(none)', /^close$/i);
    await closeOf(refused.socket);
    const next = await overAgent(agent, `${system.apiUrl}/health`);
    assert.equal(next.reused, false, 'the next request went over a new connection');
    assert.equal(next.status, 200, next.text);
  } finally {
    agent.destroy();
  }
});

systemCase('the API is up and refuses malformed requests with problems', async () => {
  for (const path of ['/health', '/ready']) {
    const response = await fetch(system.apiUrl + path, {headers: {authorization: `Bearer ${system.accessToken}`}});
    assert.equal(response.status, 200, `${path}: ${await response.text()}`);
  }
  const rows = [
    ['/api/v1/workflow-runs/abc', 400],
    ['/api/v1/workflow-runs/12abc', 400],
    ['/api/v1/workflow-runs/-1', 400],
    ['/api/v1/workflow-runs/99999999999999999999999999', 400],
    ['/api/v1/workflow-runs/999999999999', 404],
    ['/api/v1/workflow-runs?page_size=1000', 400],
    ['/api/v1/workflow-runs?page_size=101', 400],
    ['/api/v1/workflow-runs?page_size=0', 400],
    ['/api/v1/workflow-runs?page_size=abc', 400],
    ['/api/v1/workflow-runs?page=0', 400],
    ['/api/v1/workflow-runs?page=-3', 400],
    ['/api/v1/workflow-runs?page=x', 400],
    ['/api/v1/nowhere', 404],
    ['/nowhere', 404],
  ];
  const authorization = {authorization: `Bearer ${system.accessToken}`};
  for (const [path, status] of rows) await readProblem(await fetch(system.apiUrl + path, {headers: authorization}), status, assert, path);
  // Without a valid access token the CI state is not shown at all.
  for (const headers of [{}, {authorization: 'Bearer nonsense'}, {authorization: `Basic ${Buffer.from('a:b').toString('base64')}`}]) {
    const response = await fetch(`${system.apiUrl}/api/v1/workflow-runs`, {headers});
    await readProblem(response, 401, assert, JSON.stringify(headers));
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
  }

  const max = await getJson('/api/v1/workflow-runs?page_size=100');
  assert.equal(max.status, 200, max.text);
  assert.equal(max.body.page_size, 100);
  const defaults = await getJson('/api/v1/workflow-runs');
  assert.equal(defaults.status, 200, defaults.text);
  assert.equal(defaults.body.page, 1);
  assert.equal(defaults.body.page_size, 50);
});

systemCase('the run list filters and pages', async () => {
  const all = await getJson('/api/v1/workflow-runs?page_size=100');
  assert.equal(all.status, 200, all.text);
  assert.ok(all.body.total >= 2, all.text);

  // Every filter of a run that one example describes finds it, and only runs that match.
  for (const d of delivered.filter((x) => x.event === 'workflow_run' && runMentions.get(runIdOf(x)) === 1)) {
    const w = d.payload.workflow_run;
    const query = new URLSearchParams({repository: d.payload.repository.full_name, branch: w.head_branch, status: w.status, page_size: '100'});
    if (w.name) query.set('workflow', w.name);
    if (w.conclusion) query.set('conclusion', w.conclusion);
    const {status, body, text} = await getJson(`/api/v1/workflow-runs?${query}`);
    assert.equal(status, 200, text);
    assert.ok(body.items.some((item) => item.run_id === w.id), `${d.label} found by ${query}: ${text}`);
    for (const item of body.items) {
      assert.equal(item.repository, d.payload.repository.full_name);
      assert.equal(item.head_branch, w.head_branch);
      assert.equal(item.status, w.status);
      if (w.name) assert.equal(item.name, w.name);
    }
  }
  for (const status of ['completed', 'in_progress', 'queued']) {
    const {body} = await getJson(`/api/v1/workflow-runs?status=${status}&page_size=100`);
    for (const item of body.items) assert.equal(item.status, status, `status=${status}`);
    assert.equal(body.total, all.body.items.filter((item) => item.status === status).length, `status=${status}: total`);
  }
  const none = await getJson('/api/v1/workflow-runs?repository=nobody%2Fnothing');
  assert.equal(none.status, 200, none.text);
  assert.deepEqual(none.body, {items: [], total: 0, page: 1, page_size: 50, pages: 0});

  // Pages of one run each cover every run exactly once.
  const seen = [];
  for (let page = 1; page <= all.body.total; page++) {
    const {status, body, text} = await getJson(`/api/v1/workflow-runs?page_size=1&page=${page}`);
    assert.equal(status, 200, text);
    assert.equal(body.items.length, 1, text);
    assert.equal(body.total, all.body.total);
    assert.equal(body.pages, all.body.total);
    assert.equal(body.page, page);
    seen.push(body.items[0].run_id);
  }
  assert.deepEqual(new Set(seen), new Set(all.body.items.map((item) => item.run_id)));
  assert.equal(seen.length, new Set(seen).size, 'no run on two pages');
  const beyond = await getJson(`/api/v1/workflow-runs?page_size=1&page=${all.body.total + 1}`);
  assert.equal(beyond.status, 200, beyond.text);
  assert.deepEqual(beyond.body.items, []);
});

systemCase('content endpoints: a dashboard\'s tour', async () => {
  const auth = {authorization: `Bearer ${system.accessToken}`};
  const send = async (method, path, body, headers = {}) => {
    const response = await fetch(system.apiUrl + path, {
      method, headers: {...auth, ...(body ? {'content-type': 'application/json'} : {}), ...headers},
      body: body ? JSON.stringify(body) : undefined});
    const text = await response.text();
    return {status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : null};
  };

  const project = await send('POST', '/api/v1/projects', {name: 'Payments', description: 'CI of payments'},
    {'idempotency-key': 'tour-project'});
  assert.equal(project.status, 201, project.text);
  const location = project.headers.get('location');
  assert.equal(location, `/api/v1/projects/${project.body.id}`);
  const replay = await send('POST', '/api/v1/projects', {name: 'Payments', description: 'CI of payments'},
    {'idempotency-key': 'tour-project'});
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.text, project.text);
  await readProblem(await fetch(`${system.apiUrl}/api/v1/projects`, {method: 'POST',
    headers: {...auth, 'content-type': 'application/json', 'idempotency-key': 'tour-project'},
    body: JSON.stringify({name: 'Other'})}), 422, assert, 'key reused with another body');

  const read = await send('GET', location);
  assert.equal(read.status, 200, read.text);
  assert.equal(read.headers.get('cache-control'), 'private, no-cache');
  const etag = read.headers.get('etag');
  assert.equal((await send('GET', location, undefined, {'if-none-match': etag})).status, 304);
  const patched = await send('PATCH', location, {name: 'Payments CI'}, {'if-match': etag});
  assert.equal(patched.status, 200, patched.text);
  await readProblem(await fetch(system.apiUrl + location, {method: 'PATCH',
    headers: {...auth, 'content-type': 'application/json', 'if-match': etag}, body: JSON.stringify({name: 'x'})}),
  412, assert, 'stale If-Match');
  assert.equal((await send('GET', '/api/v1/projects?page_size=10')).body.total, 1);

  const ticket = await send('POST', '/api/v1/support/tickets', {subject: 'Runner offline', body: 'Since 9:00.'});
  assert.equal(ticket.status, 201, ticket.text);
  const me = await send('GET', '/api/v1/auth/me');
  assert.equal(me.headers.get('cache-control'), 'no-store');
  const assigned = await send('PATCH', `/api/v1/support/tickets/${ticket.body.id}`,
    {status: 'pending', assignee_id: me.body.id});
  assert.equal(assigned.status, 200, assigned.text);
  assert.equal(assigned.body.assignee_id, me.body.id);
  assert.equal((await send('GET', '/api/v1/support/tickets?status=pending')).body.total, 1);
  assert.equal((await send('GET', `/api/v1/support/tickets/${ticket.body.id}`)).status, 200);

  const post = await send('POST', '/api/v1/community/posts', {title: 'Hi', body: '<b>bold</b>'});
  assert.equal(post.status, 201, post.text);
  const posts = await fetch(`${system.apiUrl}/api/v1/community/posts`);
  assert.equal(posts.status, 200);
  assert.equal(posts.headers.get('content-type'), 'application/json');
  assert.equal((await posts.json()).items[0].body, '<b>bold</b>');
  assert.equal((await fetch(`${system.apiUrl}/api/v1/community/posts/${post.body.id}`)).status, 200);

  const event = await send('POST', '/api/v1/status/events', {service: 'api', status: 'maintenance', message: 'Upgrade'});
  assert.equal(event.status, 201, event.text);
  assert.equal((await send('GET', '/api/v1/status/events?service=api')).body.total, 1);
  const status = await fetch(`${system.apiUrl}/api/v1/status`);
  assert.equal(status.headers.get('cache-control'), 'public, max-age=15');
  const current = await status.json();
  assert.ok(current.services.some((s) => s.name === 'api' && s.status === 'maintenance'), JSON.stringify(current));

  const csp = await fetch(`${system.apiUrl}/api/v1/security/csp-report`, {method: 'POST',
    headers: {'content-type': 'application/csp-report'},
    body: JSON.stringify({'csp-report': {'document-uri': 'https://dash.example/', 'effective-directive': 'img-src'}})});
  assert.equal(csp.status, 204);
  await readProblem(await fetch(`${system.apiUrl}/api/v1/security/csp-report`, {method: 'POST',
    headers: {'content-type': 'application/reports+json'}, body: 'garbage'}), 400, assert, 'CSP garbage');

  const stats = await send('GET', '/api/v1/workflow-runs/stats?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z');
  assert.equal(stats.status, 200, stats.text);
  assert.ok(stats.body.items.length > 0, 'the examples\' runs are counted');
  for (const path of ['/api/v1/workflow-runs?since=2000-01-01T00:00:00Z', '/api/v1/incidents', '/api/v1/repositories',
    '/api/v1/reconciliations', '/api/v1/auth/sessions'])
    assert.equal((await send('GET', path)).status, 200, path);

  assert.equal((await send('DELETE', location, undefined, {'if-match': patched.headers.get('etag')})).status, 204);
  await readProblem(await fetch(system.apiUrl + location, {headers: auth}), 404, assert, 'deleted project');
});

systemCase('every API answer in this suite matched the OpenAPI document', async () => {
  assert.deepEqual(contract.violations, []);
  // Not a vacuous pass: the suite reached most of the API.
  const operations = new Set([...contract.checked].map((c) => c.split(' ').slice(0, 2).join(' ')));
  assert.ok(operations.size >= 25, `only ${operations.size} operations checked: ${[...operations].join(', ')}`);
  assert.ok([...contract.checked].some((c) => c.endsWith(' 304')), 'a 304 was checked');
  assert.ok([...contract.checked].some((c) => c.endsWith(' 400')), 'a problem was checked');
});

systemCase('every metric the alert rules and Grafana dashboards query is exported (infra/grafana/check-metrics)', async () => {
  const script = new URL('../../infra/grafana/check-metrics', import.meta.url).pathname;
  const urls = [system.ingestUrl, system.processorsUrl, system.apiUrl].map((u) => `${u}/metrics`);
  const {code, output} = await new Promise((resolve) => {
    execFile(script, urls, {encoding: 'utf8', timeout: 60000}, (error, stdout, stderr) =>
      resolve({code: error ? error.code ?? 1 : 0, output: stdout + stderr}));
  });
  assert.equal(code, 0, output);
  assert.match(output, /queried metrics are exported/, output);
});

systemCase('the audit log of all this suite did (accounts, sign-ins, refusals, content) verifies, and a changed row is found', async () => {
  const run = (file, args) => new Promise((resolve) => execFile(file, args,
    {encoding: 'utf8', timeout: 60000, env: {...process.env, FAULTLINE_DATABASE_URL: system.databaseUrl}},
    (error, stdout, stderr) => resolve({code: error ? error.code : 0, out: `${stdout}${stderr}`})));
  const verify = () => run(`${binDir}/faultline-api`, ['audit', 'verify']);
  const sql = async (statement) => (await run('psql', [system.databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', statement])).out.trim();
  const actions = (await sql('SELECT string_agg(DISTINCT action, \' \') FROM audit_log')).split(' ');
  for (const action of ['user_created', 'authn_login_success', 'authz_fail', 'admin_status_event_create'])
    assert.ok(actions.includes(action), `${action} among ${actions.join(', ')}`);
  const whole = await verify();
  assert.equal(whole.code, 0, whole.out);
  assert.match(whole.out, /audit log verified: \d+ rows/);
  const id = await sql('SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1');
  await sql(`UPDATE audit_log SET reason = reason || ' (edited)' WHERE id = ${Number(id)}`);
  try {
    const tampered = await verify();
    assert.equal(tampered.code, 1, tampered.out);
    assert.match(tampered.out, new RegExp(`audit log broken at row ${Number(id)}`));
  } finally {
    await sql(`UPDATE audit_log SET reason = left(reason, length(reason) - 9) WHERE id = ${Number(id)}`);
  }
  const restored = await verify();
  assert.equal(restored.code, 0, restored.out);
});

systemCase('every service exits 0 on SIGTERM', async () => {
  const ends = await system.stopServices(15000);
  for (const [name, end] of Object.entries(ends)) {
    assert.equal(end.killed, false, `${name} did not stop within 15 s of SIGTERM`);
    assert.deepEqual({code: end.code, signal: end.signal}, {code: 0, signal: null}, `${name} exit`);
  }
});
