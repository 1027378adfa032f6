// The fake GitLab (tests/fakes/fake-gitlab.mjs) answers as GitLab's REST
// documentation says, so the GitLab client tested against it is tested
// against GitLab's behaviour: auth, project by path, issues with search,
// pagination headers, hooks without their token, and 429 with its headers.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import path from 'node:path';
import {test, before, after} from 'node:test';

let child, base;
before(async () => {
  const fake = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fakes', 'fake-gitlab.mjs');
  child = spawn(process.execPath, [fake, '--port', '0'], {stdio: ['ignore', 'ignore', 'pipe']});
  const port = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => { const m = String(d).match(/"port":(\d+)/); if (m) resolve(Number(m[1])); });
    child.on('exit', reject);
  });
  base = `http://127.0.0.1:${port}`;
  const control = (what, body) => fetch(`${base}/_control/${what}`, {method: 'POST', body: JSON.stringify(body)});
  await control('projects', {id: 42, path_with_namespace: 'group/app'});
  await control('projects', {id: 43, path_with_namespace: 'other/secret'});
  await control('tokens', {token: 'glpat-good', projects: [42]});
  const pipelines = Array.from({length: 5}, (_, i) => ({id: 100 + i, status: 'failed', ref: 'main',
    updated_at: new Date(Date.UTC(2026, 0, 1 + i)).toISOString()}));
  await control('pipelines', {project_id: 42, pipelines});
  await control('traces', {project_id: 42, job_id: 9, text: 'step 1\nerror: boom\n'});
});
after(() => child.kill('SIGTERM'));

const api = (p, {method = 'GET', body, token = 'glpat-good', bearer = false} = {}) => fetch(`${base}/api/v4${p}`, {method,
  headers: {...(token && (bearer ? {authorization: `Bearer ${token}`} : {'private-token': token})),
    ...(body && {'content-type': 'application/json'})}, body: body && JSON.stringify(body)});

test('auth by PRIVATE-TOKEN or Bearer; others are 401, unseen projects 404', async () => {
  assert.equal((await api('/projects/42')).status, 200);
  assert.equal((await api('/projects/group%2Fapp', {bearer: true})).status, 200);
  assert.equal((await api('/projects/42', {token: ''})).status, 401);
  assert.equal((await api('/projects/42', {token: 'wrong'})).status, 401);
  const hidden = await api('/projects/43');
  assert.equal(hidden.status, 404);
  assert.equal((await hidden.json()).message, '404 Project Not Found');
});

test('issues: create, search in the description, note, close', async () => {
  const created = await api('/projects/42/issues', {method: 'POST', body: {title: 'CI fails', description: 'x <!-- faultline:7 -->', labels: 'ci,faultline'}});
  assert.equal(created.status, 201);
  const issue = await created.json();
  assert.deepEqual([issue.iid, issue.state, issue.labels], [1, 'opened', ['ci', 'faultline']]);
  assert.equal((await api('/projects/42/issues', {method: 'POST', body: {description: 'no title'}})).status, 400);
  const found = await (await api('/projects/42/issues?search=faultline%3A7&labels=faultline')).json();
  assert.deepEqual(found.map((i) => i.iid), [1]);
  assert.deepEqual(await (await api('/projects/42/issues?search=faultline%3A8')).json(), []);
  assert.equal((await api('/projects/42/issues/1/notes', {method: 'POST', body: {body: 'again'}})).status, 201);
  const closed = await (await api('/projects/42/issues/1?state_event=close', {method: 'PUT'})).json();
  assert.deepEqual([closed.state, closed.user_notes_count], ['closed', 1]);
  assert.equal((await api('/projects/42/issues/99/notes', {method: 'POST', body: {body: 'x'}})).status, 404);
});

test('pipelines paginate with x-next-page and filter by updated_after', async () => {
  const first = await api('/projects/42/pipelines?per_page=2&updated_after=2026-01-02T00:00:00Z');
  assert.deepEqual([first.headers.get('x-next-page'), first.headers.get('x-total-pages'), first.headers.get('x-total')], ['2', '2', '4']);
  assert.deepEqual((await first.json()).map((p) => p.id), [104, 103]);
  const last = await api('/projects/42/pipelines?per_page=2&page=2&updated_after=2026-01-02T00:00:00Z');
  assert.equal(last.headers.get('x-next-page'), '');
  assert.deepEqual((await last.json()).map((p) => p.id), [102, 101]);
  assert.equal((await api('/projects/42/pipelines?updated_after=yesterday')).status, 400);
});

test('job trace is plain text; hooks keep their token hidden; delete', async () => {
  const trace = await api('/projects/42/jobs/9/trace');
  assert.equal(trace.headers.get('content-type'), 'text/plain');
  assert.equal(await trace.text(), 'step 1\nerror: boom\n');
  assert.equal((await api('/projects/42/jobs/10/trace')).status, 404);
  const made = await api('/projects/42/hooks', {method: 'POST', body: {url: 'https://faultline.example/webhooks/gitlab',
    pipeline_events: true, job_events: true, push_events: false, token: 'hook-secret'}});
  assert.equal(made.status, 201);
  const hook = await made.json();
  assert.deepEqual([hook.pipeline_events, hook.job_events, hook.push_events, 'token' in hook], [true, true, false, false]);
  assert.equal((await api('/projects/42/hooks', {method: 'POST', body: {url: 'javascript:alert(1)'}})).status, 422);
  const seen = await (await fetch(`${base}/_control/hooks`)).json();
  assert.equal(seen[42][0].token, 'hook-secret');
  assert.equal((await api(`/projects/42/hooks/${hook.id}`, {method: 'DELETE'})).status, 204);
  assert.deepEqual(await (await api('/projects/42/hooks')).json(), []);
});

test('429 carries Retry-After and RateLimit-*; injected faults answer once', async () => {
  await fetch(`${base}/_control/rate_limited`, {method: 'POST', body: JSON.stringify({path_prefix: '/api/v4/projects/42/issues', retry_after: 7})});
  const limited = await api('/projects/42/issues');
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '7');
  assert.equal(limited.headers.get('ratelimit-remaining'), '0');
  assert.ok(Number(limited.headers.get('ratelimit-reset')) >= Math.floor(Date.now() / 1000) + 6);
  assert.equal((await api('/projects/42/issues')).status, 200);
  await fetch(`${base}/_control/faults`, {method: 'POST', body: JSON.stringify({path_prefix: '/api/v4/projects/42', responses: [{status: 502}]})});
  assert.equal((await api('/projects/42')).status, 502);
  assert.equal((await api('/projects/42')).status, 200);
  const requests = await (await fetch(`${base}/_control/requests`)).json();
  assert.ok(requests.some((r) => r.auth_scheme === 'Bearer') && requests.every((r) => r.token !== undefined));
});
