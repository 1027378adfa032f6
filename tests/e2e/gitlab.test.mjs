// End to end over the built binaries, for GitLab: GitLab's documented
// Pipeline and Job Hook payloads, with the hook's token and a Standard
// Webhooks signature computed here, go in at ingest's POST /webhooks/gitlab
// and come out on ci.gitlab_pipeline.v1 and ci.gitlab_job.v1 valid against
// their schemas; bad and hostile input is refused with its status and a
// problem, and publishes nothing. The processors' runs role keeps them as
// runs and jobs, and the API shows them with GitLab's own ids.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import {Contract} from './contract.mjs';
import {System, poll, topics, readProblem, systemTest, runSystem, ingestMaxBodyBytes, gitlabTokens, gitlabExamplesDir,
  standardWebhookHeaders} from './harness.mjs';

const example = (name) => fs.readFileSync(path.join(gitlabExamplesDir, `${name}.json`), 'utf8');
const pipelineExample = JSON.parse(example('pipeline'));
const jobExample = JSON.parse(example('build'));

const system = new System();
const systemCase = systemTest(system);
runSystem(system, async () => {
  // From here on every API answer is checked against the served document.
  const contract = new Contract(await (await fetch(`${system.apiUrl}/openapi.json`)).json());
  globalThis.fetch = contract.wrap(globalThis.fetch, system.apiUrl);
});

async function getJson(path) {
  const response = await fetch(system.apiUrl + path, {headers: {authorization: `Bearer ${system.accessToken}`}});
  const text = await response.text();
  return {status: response.status, body: text ? JSON.parse(text) : null, text};
}

const deliver = (event, body, options) => system.deliverGitLab(event, body, options);
const tag = crypto.randomBytes(4).toString('hex');

function validators() {
  const ajv = new Ajv2020({strict: false});
  addFormats(ajv);
  const schemas = new URL('../../schemas/events/', import.meta.url);
  const load = (name) => JSON.parse(fs.readFileSync(new URL(name, schemas), 'utf8'));
  ajv.addSchema(load('gitlab_envelope.v1.json'), 'gitlab_envelope.v1.json');
  return {pipeline: ajv.compile(load('gitlab_pipeline.v1.json')), job: ajv.compile(load('gitlab_job.v1.json'))};
}

// Variations of the documented examples, as GitLab sends them over a pipeline's life.
const pipelineOf = (id, status, times) => {
  const payload = structuredClone(pipelineExample);
  Object.assign(payload.object_attributes, {id, status, ...times});
  return payload;
};
const jobOf = (id, pipelineId, status, extra = {}) => ({...structuredClone(jobExample), build_id: id, pipeline_id: pipelineId,
  build_status: status, ...extra});

systemCase('GitLab\'s pipeline and job hooks are on their topics as CloudEvents, keyed <project_id>/<pipeline_id>, valid against their schemas', async () => {
  const deliveries = [
    {event: 'Pipeline Hook', payload: pipelineExample, kind: 'pipeline'},
    {event: 'Job Hook', payload: jobExample, kind: 'job'},
    // ISO 8601 times with an offset, as newer GitLab and its API send them.
    {event: 'Pipeline Hook', payload: pipelineOf(9001, 'running', {created_at: '2026-12-02T11:00:00+01:00', finished_at: null}), kind: 'pipeline'},
    {event: 'Pipeline Hook', payload: pipelineOf(9001, 'failed', {created_at: '2026-12-02T11:00:00+01:00', finished_at: '2026-12-02 10:05:30 UTC'}), kind: 'pipeline'},
    {event: 'Job Hook', payload: jobOf(7001, 9001, 'failed', {project_id: 1, build_failure_reason: 'runner_system_failure',
      build_started_at: '2026-12-02 10:01:00 UTC', build_finished_at: '2026-12-02T11:05:00.250+01:00', build_duration: 239.25}), kind: 'job'},
    // A retried job is a new job id in the same pipeline.
    {event: 'Job Hook', payload: jobOf(7002, 9001, 'success', {project_id: 1, retries_count: 1}), kind: 'job'},
  ].map((d, i) => ({...d, key: `e2e-gitlab-${tag}-${i}`}));
  for (const d of deliveries) {
    const response = await deliver(d.event, JSON.stringify(d.payload), {key: d.key});
    const text = await response.text();
    assert.equal(response.status, 202, `${d.key}: ${text}`);
    assert.deepEqual(JSON.parse(text), {accepted: true, delivery_id: d.key});
  }

  const messages = {pipeline: await system.topic(topics.gitlabPipeline), job: await system.topic(topics.gitlabJob)};
  const validate = validators();
  const partitionKeys = new Set();
  for (const d of deliveries) {
    const found = messages[d.kind].filter((m) => m.headers.ce_id === d.key);
    assert.equal(found.length, 1, `${d.key}: one message on the ${d.kind} topic`);
    const other = d.kind === 'pipeline' ? 'job' : 'pipeline';
    assert.equal(messages[other].filter((m) => m.headers.ce_id === d.key).length, 0, `${d.key}: nothing on the ${other} topic`);
    const m = found[0];
    const projectId = d.kind === 'pipeline' ? d.payload.project.id : d.payload.project_id;
    const pipelineId = d.kind === 'pipeline' ? d.payload.object_attributes.id : d.payload.pipeline_id;
    const status = d.kind === 'pipeline' ? d.payload.object_attributes.status : d.payload.build_status;
    assert.equal(m.key, `${projectId}/${pipelineId}`, `${d.key}: key`);
    partitionKeys.add(m.key);
    assert.equal(m.headers.ce_specversion, '1.0');
    assert.equal(m.headers.ce_type, `com.gitlab.${d.kind}.${status}`);
    assert.equal(m.headers.ce_source, 'http://192.168.64.1:3005/gitlab-org/gitlab-test');
    assert.ok(Math.abs(Date.parse(m.headers.ce_time) - Date.now()) < 10 * 60 * 1000, `${d.key}: ce_time ${m.headers.ce_time} is now`);
    assert.equal(m.headers['content-type'], 'application/json');
    assert.match(m.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/, `${d.key}: traceparent`);
    const value = JSON.parse(m.value);
    assert.ok(validate[d.kind](value), `${d.key}: ${JSON.stringify(validate[d.kind].errors)}`);
    assert.equal(value.delivery_id, d.key);
    assert.equal(value.instance, 'https://gitlab.example.com');
    assert.equal(value.project.id, projectId);
    // Every time is RFC 3339 in UTC, whichever form GitLab sent.
    const times = Object.entries(value[d.kind]).filter(([k, v]) => k.endsWith('_at') && v !== null);
    assert.ok(times.length > 0, `${d.key}: has times`);
    for (const [k, v] of times) assert.match(v, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, `${d.key}: ${k} ${v}`);
  }
  const running = JSON.parse(messages.pipeline.find((m) => m.headers.ce_id === deliveries[2].key).value);
  assert.equal(running.pipeline.created_at, '2026-12-02T10:00:00Z');
  const failed = JSON.parse(messages.pipeline.find((m) => m.headers.ce_id === deliveries[3].key).value);
  assert.equal(failed.pipeline.finished_at, '2026-12-02T10:05:30Z');
  const failedJob = JSON.parse(messages.job.find((m) => m.headers.ce_id === deliveries[4].key).value);
  assert.equal(failedJob.job.failure_reason, 'runner_system_failure');
  assert.equal(failedJob.job.finished_at, '2026-12-02T10:05:00.250Z');
  assert.equal(failedJob.job.duration, 239.25);
  // A pipeline and its jobs share a key (so a partition): 1/9001 for the last four.
  assert.deepEqual([...partitionKeys].sort(), ['1/31', '1/9001', '380/2366']);
  // The schemas refuse what the normalizer never writes.
  const hookTime = structuredClone(running);
  hookTime.pipeline.created_at = '2016-08-12 15:23:28 UTC';
  assert.ok(!validate.pipeline(hookTime), 'GitLab\'s own time form is not a published time');
  assert.ok(!validate.job({...failedJob, job: {...failedJob.job, status: 'Failed; rm -rf'}}), 'a status is a GitLab status');
  assert.ok(!validate.pipeline({delivery_id: 'x', pipeline: {id: 1}}), 'the schema refuses an event without its fields');
});

systemCase('a GitLab pipeline and its jobs are shown by the API as GitLab\'s, with GitLab\'s own ids', async () => {
  const pipelineId = 9100 + Math.floor(Math.random() * 800);
  const deliveries = [
    {event: 'Pipeline Hook', payload: pipelineOf(pipelineId, 'running', {created_at: '2026-12-02 11:00:00 UTC', finished_at: null})},
    {event: 'Job Hook', payload: jobOf(pipelineId * 10 + 1, pipelineId, 'failed', {project_id: 1, build_failure_reason: 'stuck_or_timeout_failure'})},
    {event: 'Job Hook', payload: jobOf(pipelineId * 10 + 2, pipelineId, 'success', {project_id: 1})},
    {event: 'Pipeline Hook', payload: pipelineOf(pipelineId, 'failed', {created_at: '2026-12-02 11:00:00 UTC', finished_at: '2026-12-02 11:09:00 UTC'})},
  ];
  for (const d of deliveries) {
    const response = await deliver(d.event, JSON.stringify(d.payload), {key: `e2e-gitlab-${tag}-api-${crypto.randomUUID()}`});
    assert.equal(response.status, 202, await response.text());
  }
  const run = await poll(async () => {
    const {status, body} = await getJson(`/api/v1/workflow-runs/${pipelineId}?provider=gitlab`);
    return status === 200 && body.conclusion === 'failure' && body.jobs.length === 2 ? body : null;
  }, `pipeline ${pipelineId} failed with its two jobs in the API`);
  assert.equal(run.provider, 'gitlab');
  assert.equal(run.repository, 'gitlab-org/gitlab-test');
  assert.equal(run.repository_id, 1);
  assert.equal(run.run_id, pipelineId);
  assert.equal(run.status, 'completed');
  const jobs = Object.fromEntries(run.jobs.map((j) => [j.job_id, j]));
  assert.equal(jobs[pipelineId * 10 + 1].conclusion, 'failure');
  assert.equal(jobs[pipelineId * 10 + 1].failure_reason, 'stuck_or_timeout_failure');
  assert.equal(jobs[pipelineId * 10 + 1].run_id, pipelineId);
  assert.equal(jobs[pipelineId * 10 + 2].conclusion, 'success');
  assert.equal(jobs[pipelineId * 10 + 2].failure_reason, null);

  const list = await getJson('/api/v1/workflow-runs?repository=gitlab-org/gitlab-test&page_size=100');
  assert.equal(list.status, 200, list.text);
  const listed = list.body.items.find((item) => item.run_id === pipelineId);
  assert.ok(listed, list.text);
  assert.equal(listed.provider, 'gitlab');
  const project = await getJson('/api/v1/repositories/1?provider=gitlab');
  assert.equal(project.status, 200, project.text);
  assert.equal(project.body.provider, 'gitlab');
  assert.equal(project.body.full_name, 'gitlab-org/gitlab-test');
  // GitHub's run of the same number is another run, which is not known here.
  const github = await getJson(`/api/v1/workflow-runs/${pipelineId}`);
  assert.equal(github.status, 404, github.text);
});

systemCase('a failing GitLab pipeline opens an incident that its passing retry resolves as flaky, told to partners with GitLab\'s ids', async () => {
  const ajv = new Ajv2020({strict: false});
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(fs.readFileSync(new URL('../../schemas/events/incident.v1.json', import.meta.url), 'utf8')));
  const pipelineId = 9900 + Math.floor(Math.random() * 90);
  const name = `e2e-retry-${tag}`;  // the incident's key: project, name, ref
  const url = `${pipelineExample.project.web_url}/-/pipelines/${pipelineId}`;
  const created = {created_at: '2026-12-02 12:00:00 UTC', name, url};
  // GitLab retries in place: the same pipeline runs again, still carrying its first finish.
  for (const [status, finished_at] of [['failed', '2026-12-02 12:05:00 UTC'], ['running', '2026-12-02 12:05:00 UTC'],
    ['success', '2026-12-02 12:30:00 UTC']]) {
    const response = await deliver('Pipeline Hook', JSON.stringify(pipelineOf(pipelineId, status, {...created, finished_at})),
      {key: `e2e-gitlab-${tag}-retry-${status}`});
    assert.equal(response.status, 202, await response.text());
    if (status === 'failed')
      await poll(async () => {
        const {body} = await getJson('/api/v1/incidents?repository=gitlab-org/gitlab-test&page_size=100');
        return body.items?.some((i) => i.workflow_name === name);
      }, `an incident for ${name}`);
  }
  const incident = await poll(async () => {
    const {body} = await getJson('/api/v1/incidents?repository=gitlab-org/gitlab-test&state=resolved&page_size=100');
    return body.items?.find((i) => i.workflow_name === name);
  }, `the incident for ${name} resolved`);
  assert.equal(incident.provider, 'gitlab');
  assert.equal(incident.repository_id, 1);
  assert.equal(incident.resolution, 'flaky');
  assert.equal(incident.branch, 'master');
  // The pipeline's two attempts: the API shows the latest. The runs role is a
  // consumer group of its own, so it may apply the success after the incidents role.
  const run = await poll(async () => {
    const answer = await getJson(`/api/v1/workflow-runs/${pipelineId}?provider=gitlab`);
    return answer.status === 200 && answer.body.conclusion === 'success' ? answer : null;
  }, `pipeline ${pipelineId}'s success in the API`);
  assert.equal(run.body.run_attempt, 2);
  assert.equal(run.body.conclusion, 'success');

  const events = await poll(async () => {
    const mine = (await system.topic(topics.incident)).map((m) => ({key: m.key, value: JSON.parse(m.value)}))
      .filter((m) => m.value.incident.id === incident.id);
    return mine.some((m) => m.value.type === 'resolved') ? mine : null;
  }, `incident ${incident.id}'s events on ${topics.incident}`);
  for (const {key, value} of events) {
    assert.ok(validate(value), `${JSON.stringify(value)}: ${JSON.stringify(validate.errors)}`);
    assert.equal(key, String(incident.id));
    assert.equal(value.incident.provider, 'gitlab');
    assert.equal(value.incident.repository_id, 1);
    assert.equal(value.run_id, pipelineId);
    assert.equal(value.run_url, url);
  }
  assert.deepEqual(events.map((e) => e.value.type), ['opened', 'resolved']);
});

systemCase('a delivery signed with the old token and GitLab\'s retry of it keep one delivery id', async () => {
  const key = `e2e-gitlab-retry-${tag}`;
  const body = JSON.stringify(pipelineOf(9100, 'pending', {}));
  const first = await deliver('Pipeline Hook', body, {key, token: gitlabTokens[0]});
  assert.equal(first.status, 202, await first.text());
  // GitLab resends with the same Idempotency-Key and a fresh signature a minute later.
  const retry = await deliver('Pipeline Hook', body, {key, timestamp: Math.floor(Date.now() / 1000) + 60});
  assert.equal(retry.status, 202, await retry.text());
  const onTopic = (await system.topic(topics.gitlabPipeline)).filter((m) => m.headers.ce_id === key);
  assert.equal(onTopic.length, 2, 'both deliveries are published, with one ce_id for consumers to deduplicate');
  assert.equal(JSON.parse(onTopic[0].value).delivery_id, JSON.parse(onTopic[1].value).delivery_id);
});

systemCase('every bad-input row of the GitLab ingest table gives its status and problem, and publishes nothing', async () => {
  const body = JSON.stringify(pipelineExample);
  const id = (name) => `e2e-gitlab-rejected-${name}-${tag}`;
  const now = Math.floor(Date.now() / 1000);
  const without = (object, key) => {
    const payload = structuredClone(pipelineExample);
    if (object) delete payload[object][key];
    else delete payload[key];
    return JSON.stringify(payload);
  };
  const withAttribute = (key, value) => JSON.stringify({...pipelineExample, object_attributes: {...pipelineExample.object_attributes, [key]: value}});
  const rows = [
    // the token -> 401
    ['no X-Gitlab-Token', 401, 'invalid-token', () => deliver('Pipeline Hook', body, {key: id('no-token'), headers: {'x-gitlab-token': undefined}})],
    ['empty X-Gitlab-Token', 401, 'invalid-token', () => deliver('Pipeline Hook', body, {key: id('empty-token'), token: ''})],
    ['a token not configured', 401, 'invalid-token', () => deliver('Pipeline Hook', body, {key: id('wrong-token'), token: 'not-our-token'})],
    ['the GitHub secret as a token', 401, 'invalid-token', () => deliver('Pipeline Hook', body, {key: id('github-secret'), token: 'e2e-secret'})],
    ['a token one character short', 401, 'invalid-token', () => deliver('Pipeline Hook', body, {key: id('short-token'), token: gitlabTokens[1].slice(0, -1)})],
    // the signature -> 401
    ['unsigned (a signing secret is set)', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('unsigned'),
      headers: {'webhook-id': undefined, 'webhook-timestamp': undefined, 'webhook-signature': undefined}})],
    ['signed with another secret', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('other-secret'),
      secret: `whsec_${crypto.randomBytes(32).toString('base64')}`})],
    ['signature of another body', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('tampered'),
      headers: standardWebhookHeaders(body.replace('"success"', '"failed"'), {id: id('tampered')})})],
    ['signature of another id', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('other-id'),
      headers: {'webhook-id': id('other-id-2')}})],
    ['a stale timestamp (10 minutes old)', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('stale'), timestamp: now - 600})],
    ['a timestamp 10 minutes ahead', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('future'), timestamp: now + 600})],
    ['a timestamp that is not a number', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('iso-timestamp'),
      headers: {'webhook-timestamp': new Date().toISOString()}})],
    ['webhook-id missing', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('no-webhook-id'), headers: {'webhook-id': undefined}})],
    ['a signature of an unknown version only', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('v2'),
      headers: {'webhook-signature': standardWebhookHeaders(body, {id: id('v2')})['webhook-signature'].replace(/^v1,/, 'v2,')}})],
    ['a hundred signatures', 401, 'invalid-signature', () => deliver('Pipeline Hook', body, {key: id('many'),
      headers: {'webhook-signature': Array(100).fill(standardWebhookHeaders(body, {id: id('many')})['webhook-signature']).join(' ')}})],
    // headers -> 400
    ['no X-Gitlab-Event', 400, 'missing-header', () => deliver('Pipeline Hook', body, {key: id('no-event'), headers: {'x-gitlab-event': undefined}})],
    // (With a signing secret set there is always a webhook-id to fall back on.)
    ['an Idempotency-Key of 200 characters', 400, 'missing-header', () => deliver('Pipeline Hook', body, {key: 'k'.repeat(200)})],
    ['an Idempotency-Key with a space', 400, 'missing-header', () => deliver('Pipeline Hook', body, {key: `${id('space')} x`})],
    // body -> 400
    ['body not JSON', 400, 'invalid-json', () => deliver('Pipeline Hook', '{"object_kind": "pipeline", oops', {key: id('not-json')})],
    ['empty body', 400, 'invalid-json', () => deliver('Pipeline Hook', '', {key: id('empty-body')})],
    ['body a JSON array', 400, 'invalid-payload', () => deliver('Pipeline Hook', '[1,2]', {key: id('array')})],
    ['a job body as a Pipeline Hook', 400, 'invalid-payload', () => deliver('Pipeline Hook', JSON.stringify(jobExample), {key: id('kind')})],
    ['a pipeline body as a Job Hook', 400, 'invalid-payload', () => deliver('Job Hook', body, {key: id('kind-job')})],
    ['pipeline without project', 400, 'invalid-payload', () => deliver('Pipeline Hook', without(null, 'project'), {key: id('no-project')})],
    ['pipeline without its id', 400, 'invalid-payload', () => deliver('Pipeline Hook', without('object_attributes', 'id'), {key: id('no-id')})],
    ['job without pipeline_id', 400, 'invalid-payload', () => deliver('Job Hook', JSON.stringify({...jobExample, pipeline_id: undefined}), {key: id('no-pipeline')})],
    ['a status that would forge a header', 400, 'invalid-payload', () => deliver('Pipeline Hook', withAttribute('status', 'success\r\nce_type: x'), {key: id('status')})],
    ['a time in neither of GitLab\'s forms', 400, 'invalid-payload', () => deliver('Pipeline Hook', withAttribute('created_at', '12/08/2016 15:23'), {key: id('time')})],
    ['an id too large for 64 bits', 400, 'invalid-payload', () => deliver('Pipeline Hook', body.replace('"id":31', '"id": 123456789012345678901234567890'),
      {key: id('big-id')})],
    // published nowhere, but not errors
    ['Push Hook', 202, null, () => deliver('Push Hook', JSON.stringify({object_kind: 'push', project: pipelineExample.project}), {key: id('push')})],
    ['Merge Request Hook of a pipeline body', 202, null, () => deliver('Merge Request Hook', body, {key: id('merge-request')})],
  ];

  const total = async () => (await Promise.all(Object.values(topics).map((t) => system.headerLines(t)))).flat().length;
  const before = await total();
  for (const [name, status, kind, send] of rows) {
    const response = await send();
    if (status >= 400) {
      const problem = await readProblem(response, status, assert, name);
      assert.equal(problem.type, `urn:faultline:problem:${kind}`, `${name}: ${JSON.stringify(problem)}`);
    } else {
      const text = await response.text();
      assert.equal(response.status, status, `${name}: ${text}`);
      assert.deepEqual(JSON.parse(text), {ignored: true}, name);
    }
  }

  // Over the limit: refused from its headers, before the body is read or the token checked.
  const tooBig = JSON.stringify({...pipelineExample, padding: 'x'.repeat(ingestMaxBodyBytes + 50 * 1024)});
  const refused = await new Promise((resolve, reject) => {
    const req = http.request(`${system.ingestUrl}/webhooks/gitlab`, {method: 'POST', agent: false, headers: {
      'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'idempotency-key': id('too-big'),
      'content-length': Buffer.byteLength(tooBig)}}, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => { resolve({status: res.statusCode, type: res.headers['content-type'], connection: res.headers.connection,
        text: Buffer.concat(chunks).toString()}); req.destroy(); });
      res.on('error', reject);
    });
    req.on('error', (e) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? null : reject(e)));
    req.end(tooBig);
  });
  assert.equal(refused.status, 413, refused.text);
  assert.match(refused.type ?? '', /^application\/problem\+json\b/);
  assert.match(JSON.parse(refused.text).detail, new RegExp(`larger than ${ingestMaxBodyBytes} bytes`));
  assert.match(refused.connection ?? '(none)', /^close$/i);
  assert.equal((await fetch(`${system.ingestUrl}/health`)).status, 200, 'ingest still serves after a 413');
  // GET is not a delivery.
  const get = await fetch(`${system.ingestUrl}/webhooks/gitlab`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');

  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await total(), before, 'no message at all was published by the refused requests');
  // Tokens and signing secrets are never logged.
  const ingestLog = fs.readFileSync(system.ingest.log, 'utf8');
  for (const secret of [...gitlabTokens, 'not-our-token']) assert.ok(!ingestLog.includes(secret), `the log holds ${secret}`);
  assert.ok(!ingestLog.includes(system.env.FAULTLINE_GITLAB_SIGNING_SECRETS), 'the log holds the signing secret');
  // Each refusal is logged under its delivery id (all but the one whose key is 200 k's).
  const rejected = ingestLog.split('\n').filter((l) => l.includes('"webhook rejected"') && l.includes('e2e-gitlab-rejected-'));
  assert.equal(rejected.length, rows.filter(([, status]) => status >= 400).length - 1, 'rejections logged');

  // Without an Idempotency-Key, the signed webhook-id is the delivery id.
  const fallback = await deliver('Pipeline Hook', body, {key: `e2e-gitlab-webhook-id-${tag}`, headers: {'idempotency-key': undefined}});
  assert.equal(fallback.status, 202, await fallback.text());
  assert.equal(await system.countCeId(`e2e-gitlab-webhook-id-${tag}`), 1);
});
