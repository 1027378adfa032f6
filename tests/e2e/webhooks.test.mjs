// End to end over the built binaries: GitHub's example payloads, signed as
// GitHub signs them, go in at ingest and come out of the API; bad input is
// refused with its status and publishes nothing.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';
import {createRequire} from 'node:module';
import {sign} from '@octokit/webhooks-methods';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import {System, poll, secrets} from './harness.mjs';

const require = createRequire(import.meta.url);
const examples = JSON.parse(fs.readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'))
  .filter((e) => e.name === 'workflow_run' || e.name === 'workflow_job')
  .flatMap((e) => e.examples.map((payload) => ({event: e.name, payload})));

const system = new System();
before(async () => { await system.start(); });
after(async () => { await system.stop(); });

async function deliver(event, body, {secret = secrets[1], delivery = crypto.randomUUID(), headers = {}} = {}) {
  const response = await fetch(`${system.ingestUrl}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': delivery,
      'x-github-hook-id': '424242', 'x-hub-signature-256': await sign(secret, body), ...headers,
    },
    body,
  });
  return {status: response.status, type: response.headers.get('content-type'), body: await response.text(), delivery};
}

const runIdOf = ({event, payload}) => (event === 'workflow_run' ? payload.workflow_run.id : payload.workflow_job.run_id);

test('every example is accepted, published with CloudEvents headers, and shows up in the API', async () => {
  assert.ok(examples.some((e) => e.event === 'workflow_run') && examples.some((e) => e.event === 'workflow_job'));
  const deliveries = [];
  for (const [i, example] of examples.entries()) {
    // Both secrets verify: a rotation in progress.
    const r = await deliver(example.event, JSON.stringify(example.payload), {secret: secrets[i % 2]});
    assert.equal(r.status, 202, r.body);
    deliveries.push({...example, delivery: r.delivery});
  }

  for (const d of deliveries) {
    const runId = runIdOf(d);
    const run = await poll(async () => {
      const res = await fetch(`${system.apiUrl}/api/v1/workflow-runs/${runId}`);
      if (res.status !== 200) return null;
      const body = await res.json();
      if (d.event === 'workflow_job' && !body.jobs.some((j) => j.job_id === d.payload.workflow_job.id)) return null;
      return body;
    }, `run ${runId} in the API`).catch((e) => { throw new Error(`${e.message}\n${system.logs()}`); });
    assert.equal(run.repository, d.payload.repository.full_name);
    const listed = await (await fetch(`${system.apiUrl}/api/v1/workflow-runs?repository=${encodeURIComponent(d.payload.repository.full_name)}&page_size=100`)).json();
    assert.ok(listed.items.some((item) => item.run_id === runId), `run ${runId} listed`);
  }

  // A run that only one example mentions holds exactly what that example said.
  const counts = new Map();
  for (const d of deliveries) counts.set(runIdOf(d), (counts.get(runIdOf(d)) ?? 0) + 1);
  for (const d of deliveries.filter((x) => x.event === 'workflow_run' && counts.get(runIdOf(x)) === 1)) {
    const run = await (await fetch(`${system.apiUrl}/api/v1/workflow-runs/${runIdOf(d)}`)).json();
    assert.equal(run.status, d.payload.workflow_run.status);
    assert.equal(run.conclusion, d.payload.workflow_run.conclusion);
  }

  // On the topics: one message per delivery, CloudEvents binary mode, key repository/run.
  const messages = [...system.topic('ci.workflow_run.v1'), ...system.topic('ci.workflow_job.v1')];
  const ajv = new Ajv2020({strict: false});
  addFormats(ajv);
  const schemas = new URL('../../schemas/events/', import.meta.url);
  ajv.addSchema(JSON.parse(fs.readFileSync(new URL('envelope.v1.json', schemas))), 'envelope.v1.json');
  const validate = {
    workflow_run: ajv.compile(JSON.parse(fs.readFileSync(new URL('workflow_run.v1.json', schemas)))),
    workflow_job: ajv.compile(JSON.parse(fs.readFileSync(new URL('workflow_job.v1.json', schemas)))),
  };
  for (const d of deliveries) {
    const found = messages.filter((m) => m.headers.ce_id === d.delivery);
    assert.equal(found.length, 1, `one message for ${d.delivery}`);
    const m = found[0];
    assert.equal(m.key, `${d.payload.repository.id}/${runIdOf(d)}`);
    assert.equal(m.headers.ce_specversion, '1.0');
    assert.equal(m.headers.ce_type, `com.github.${d.event}.${d.payload.action}`);
    assert.equal(m.headers.ce_source, `https://github.com/${d.payload.repository.full_name}`);
    assert.match(m.headers.ce_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(m.headers['content-type'], 'application/json');
    const value = JSON.parse(m.value);
    assert.ok(validate[d.event](value), JSON.stringify(validate[d.event].errors));
    assert.equal(value.delivery_id, d.delivery);
    assert.equal(value.hook_id, 424242);
  }
});

test('every bad-input row of the ingest table gives its status and publishes nothing', async () => {
  const example = examples.find((e) => e.event === 'workflow_run');
  const body = JSON.stringify(example.payload);
  const cases = [
    {name: 'missing signature', status: 401, send: () => fetch(`${system.ingestUrl}/webhooks/github`, {method: 'POST',
      headers: {'x-github-event': 'workflow_run', 'x-github-delivery': 'bad-unsigned'}, body})},
    {name: 'wrong secret', status: 401, send: () => deliver('workflow_run', body, {secret: 'not-ours', delivery: 'bad-wrong-secret'})},
    {name: 'wrong scheme', status: 401, send: () => deliver('workflow_run', body, {delivery: 'bad-scheme',
      headers: {'x-hub-signature-256': 'sha1=' + 'a'.repeat(40)}})},
    {name: 'missing event', status: 400, send: async () => {
      const r = await fetch(`${system.ingestUrl}/webhooks/github`, {method: 'POST', body, headers: {
        'x-github-delivery': 'bad-no-event', 'x-hub-signature-256': await sign(secrets[1], body)}});
      return r;
    }},
    {name: 'missing delivery', status: 400, send: async () => fetch(`${system.ingestUrl}/webhooks/github`, {method: 'POST', body,
      headers: {'x-github-event': 'workflow_run', 'x-hub-signature-256': await sign(secrets[1], body)}})},
    {name: 'not JSON', status: 400, send: () => deliver('workflow_run', '{"action": "completed", oops', {delivery: 'bad-not-json'})},
    {name: 'required fields missing', status: 400, send: () => deliver('workflow_run', JSON.stringify({action: 'completed', repository: {id: 1, full_name: 'a/b'}}), {delivery: 'bad-fields'})},
    {name: 'ping', status: 200, send: () => deliver('ping', JSON.stringify({zen: 'Keep it logically awesome.'}), {delivery: 'bad-ping'})},
    {name: 'other event', status: 202, send: () => deliver('push', JSON.stringify({ref: 'refs/heads/main'}), {delivery: 'bad-push'})},
  ];
  for (const c of cases) {
    const r = await c.send();
    const text = typeof r.text === 'function' ? await r.text() : r.body;
    const type = typeof r.headers?.get === 'function' ? r.headers.get('content-type') : r.type;
    assert.equal(r.status, c.status, `${c.name}: ${text}`);
    if (c.status >= 400 && c.status !== 413) {
      assert.equal(type, 'application/problem+json', c.name);
      assert.equal(JSON.parse(text).status, c.status, c.name);
      assert.doesNotMatch(text, /std::|what\(\)|exception/i, c.name);
    }
    if (c.name === 'other event') assert.deepEqual(JSON.parse(text), {ignored: true});
  }
  // Over the limit: on a connection of its own, because Pistache keeps reading
  // the rest of a refused body as if it were further requests (README, limits).
  const tooBig = JSON.stringify({...example.payload, padding: 'x'.repeat(1100 * 1024)});
  const refused = await new Promise((resolve, reject) => {
    sign(secrets[1], tooBig).then((signature) => {
      const req = http.request(`${system.ingestUrl}/webhooks/github`, {method: 'POST', agent: false, headers: {
        'content-type': 'application/json', 'x-github-event': 'workflow_run', 'x-github-delivery': 'bad-too-big',
        'x-hub-signature-256': signature, 'content-length': Buffer.byteLength(tooBig)}}, (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
      req.on('error', (e) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? null : reject(e)));
      req.end(tooBig);
    }, reject);
  });
  assert.equal(refused, 413);
  // A body just under the limit (~900 KB, far above Pistache's 4 KB default) is accepted.
  const large = await deliver('workflow_run', JSON.stringify({...example.payload, padding: 'y'.repeat(900 * 1024)}), {delivery: 'good-large'});
  assert.equal(large.status, 202, large.body);

  const ids = [...system.topic('ci.workflow_run.v1'), ...system.topic('ci.workflow_job.v1')].map((m) => m.headers.ce_id);
  assert.ok(ids.includes('good-large'), 'the accepted delivery reached the topic');
  assert.deepEqual(ids.filter((id) => id.startsWith('bad-')), []);
});

test('ingest keeps HTTP/1.1 connections alive', async () => {
  const agent = new http.Agent({keepAlive: true, maxSockets: 1});
  const get = () => new Promise((resolve, reject) => {
    const req = http.get(`${system.ingestUrl}/health`, {agent}, (res) => {
      res.resume();
      res.on('end', () => resolve({reused: req.reusedSocket, connection: res.headers.connection, status: res.statusCode}));
    });
    req.on('error', reject);
  });
  const first = await get();
  const second = await get();
  agent.destroy();
  assert.equal(first.status, 200);
  assert.equal(second.reused, true);
  assert.match(second.connection, /keep-alive/i);
});

test('the API refuses malformed requests with problems', async () => {
  for (const [url, status] of [
    ['/api/v1/workflow-runs/abc', 400], ['/api/v1/workflow-runs/999999999999', 404],
    ['/api/v1/workflow-runs?page_size=1000', 400], ['/api/v1/workflow-runs?page=0', 400], ['/api/v1/nowhere', 404],
  ]) {
    const res = await fetch(system.apiUrl + url);
    const text = await res.text();
    assert.equal(res.status, status, url);
    assert.equal(res.headers.get('content-type'), 'application/problem+json', url);
    assert.doesNotMatch(text, /soci|ERROR:|std::/, url);
  }
});
