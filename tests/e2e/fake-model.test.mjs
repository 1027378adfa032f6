// The fake model (tests/fakes/fake-model.mjs) answers as an OpenAI-compatible
// chat-completions server does, so a client tested against it is tested
// against that behaviour: Bearer auth, 400 and 413 for bad bodies, a
// completion's full shape, 429 with Retry-After, garbage, slow answers, and
// the 503 when nothing is scripted; and it records what it was asked.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {test, before, beforeEach, after} from 'node:test';

let child, base;
before(async () => {
  const fake = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fakes', 'fake-model.mjs');
  child = spawn(process.execPath, [fake, '--port', '0'], {stdio: ['ignore', 'ignore', 'pipe']});
  const port = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => { const m = String(d).match(/"msg":"listening","port":(\d+)/); if (m) resolve(Number(m[1])); });
    child.on('exit', reject);
  });
  base = `http://127.0.0.1:${port}`;
});
after(() => child.kill('SIGTERM'));
beforeEach(async () => assert.equal((await control('reset', {})).status, 200));

const control = (what, body) => fetch(`${base}/_control/${what}`, body === undefined ? {} : {method: 'POST', body: JSON.stringify(body)});
const reply = async (replies, forever) => assert.equal((await control('replies', {replies, ...(forever && {forever})})).status, 200);
const requests = async () => (await control('requests')).json();

const messages = [{role: 'system', content: 'You are terse.'}, {role: 'user', content: 'Why did CI fail?'}];
const chat = (body = {model: 'meta/llama-3.1-8b-instruct', messages}, {key = 'test-model-key', headers = {}} = {}) =>
  fetch(`${base}/v1/chat/completions`, {method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: {'content-type': 'application/json', ...(key !== null && {authorization: `Bearer ${key}`}), ...headers}});

test('Bearer auth: missing or wrong keys are 401 invalid_api_key; /_control/api-key sets the key', async () => {
  await reply([{content: 'a'}, {content: 'b'}]);
  for (const key of [null, 'wrong']) {
    const denied = await chat(undefined, {key});
    assert.equal(denied.status, 401);
    const {error} = await denied.json();
    assert.deepEqual([error.type, error.code, typeof error.message], ['invalid_request_error', 'invalid_api_key', 'string']);
  }
  assert.equal((await chat(undefined, {headers: {authorization: 'Basic dGVzdC1tb2RlbC1rZXk='}})).status, 401);
  assert.equal((await (await chat()).json()).choices[0].message.content, 'a', 'a 401 takes no scripted reply');
  assert.equal((await control('api-key', {key: 'nvapi-other'})).status, 200);
  assert.equal((await chat()).status, 401, 'the default key no longer works');
  assert.equal((await chat(undefined, {key: 'nvapi-other'})).status, 200);
});

test('bodies that are no chat request are 400 with an OpenAI error; over 1 MiB is 413', async () => {
  await reply([{content: 'kept'}]);
  const bad = ['not json', '[]', {messages}, {model: 7, messages}, {model: 'm'}, {model: 'm', messages: 'hi'},
    {model: 'm', messages: []}, {model: 'm', messages: [{content: 'no role'}]}, {model: 'm', messages: [{role: 'user'}]}];
  for (const body of bad) {
    const answer = await chat(body);
    assert.equal(answer.status, 400, JSON.stringify(body));
    const {error} = await answer.json();
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(typeof error.message, 'string');
  }
  const huge = await chat({model: 'm', messages: [{role: 'user', content: 'x'.repeat(1024 * 1024)}]});
  assert.equal(huge.status, 413);
  assert.equal((await huge.json()).error.type, 'invalid_request_error');
  const justUnder = 'x'.repeat(1024 * 1024 - JSON.stringify({model: 'm', messages: [{role: 'user', content: ''}]}).length);
  const fits = await chat({model: 'm', messages: [{role: 'user', content: justUnder}]});
  assert.equal(fits.status, 200, 'exactly 1 MiB is allowed');
  assert.equal((await fits.json()).choices[0].message.content, 'kept', 'the 400s and the 413 took no scripted reply');
});

test('a content reply is a whole chat.completion, with usage from the prompt and the answer', async () => {
  await reply([{content: 'The linker ran out of memory.'}, {content: 'Second.'}]);
  const before = Math.floor(Date.now() / 1000);
  const answer = await chat();
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get('content-type'), /^application\/json/);
  const body = await answer.json();
  assert.ok(body.created >= before && body.created <= Math.floor(Date.now() / 1000) + 1);
  const prompt = Math.ceil(('You are terse.' + 'Why did CI fail?').length / 4);
  const completion = Math.ceil('The linker ran out of memory.'.length / 4);
  assert.deepEqual(body, {id: 'chatcmpl-1', object: 'chat.completion', created: body.created, model: 'meta/llama-3.1-8b-instruct',
    choices: [{index: 0, message: {role: 'assistant', content: 'The linker ran out of memory.'}, finish_reason: 'stop'}],
    usage: {prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion}});
  assert.deepEqual([prompt, completion], [8, 8]);
  const second = await (await chat({model: 'gpt-4o-mini', messages})).json();
  assert.deepEqual([second.id, second.model, second.choices[0].message.content], ['chatcmpl-2', 'gpt-4o-mini', 'Second.']);
});

test('no_usage leaves usage out; finish_reason can be scripted', async () => {
  await reply([{content: 'no usage here', no_usage: true}, {content: 'cut', finish_reason: 'length'}]);
  const body = await (await chat()).json();
  assert.equal('usage' in body, false);
  assert.equal(body.choices[0].message.content, 'no usage here');
  assert.equal((await (await chat()).json()).choices[0].finish_reason, 'length');
});

test('429 carries Retry-After and a rate-limit error; any status, headers and body can be scripted', async () => {
  await reply([{status: 429, retry_after: '2'}, {status: 500, headers: {'x-request-id': 'req-1'}, body: {error: {message: 'boom', type: 'server_error'}}},
    {status: 502, body: 'Bad Gateway'}, {status: 503}]);
  const limited = await chat();
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '2');
  const {error} = await limited.json();
  assert.deepEqual([error.type, error.code, typeof error.message], ['requests', 'rate_limit_exceeded', 'string']);
  const failed = await chat();
  assert.deepEqual([failed.status, failed.headers.get('x-request-id')], [500, 'req-1']);
  assert.deepEqual(await failed.json(), {error: {message: 'boom', type: 'server_error'}});
  const gateway = await chat();
  assert.deepEqual([gateway.status, await gateway.text()], [502, 'Bad Gateway']);
  const unavailable = await chat();
  assert.equal(unavailable.status, 503);
  assert.equal((await unavailable.json()).error.type, 'server_error');
});

test('a raw reply is sent verbatim as application/json: garbage', async () => {
  await reply([{raw: 'not json at all', status: 200}, {raw: '{"choices":[', status: 200}]);
  const answer = await chat();
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get('content-type'), /^application\/json/);
  const text = await answer.text();
  assert.equal(text, 'not json at all');
  assert.throws(() => JSON.parse(text));
  assert.equal(await (await chat()).text(), '{"choices":[');
});

test('delay_ms answers that much later at least, and the request is recorded meanwhile', async () => {
  await reply([{content: 'slow', delay_ms: 400}]);
  const start = performance.now();
  const pending = chat();
  // Seen while the model is still "thinking".
  let seen = [];
  for (let i = 0; i < 100 && seen.length === 0; i++) {
    seen = await requests();
    if (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(seen.length, 1);
  assert.equal(seen[0].answered, 200);
  const answer = await pending;
  const body = await answer.json();
  const elapsed = performance.now() - start;
  assert.equal(body.choices[0].message.content, 'slow');
  assert.ok(elapsed >= 400, `answered after ${elapsed} ms`);
});

test('a forever reply answers every request after the queue', async () => {
  await reply([{content: 'first'}], {status: 429, retry_after: '1'});
  assert.equal((await (await chat()).json()).choices[0].message.content, 'first');
  for (let i = 0; i < 3; i++) {
    const limited = await chat();
    assert.deepEqual([limited.status, limited.headers.get('retry-after')], [429, '1']);
  }
  await reply([{content: 'queued again'}]);
  assert.equal((await (await chat()).json()).choices[0].message.content, 'queued again', 'the queue comes before forever');
  assert.equal((await chat()).status, 429);
});

test('with nothing scripted the answer is 503 "no scripted reply"', async () => {
  const answer = await chat();
  assert.equal(answer.status, 503);
  assert.deepEqual(await answer.json(), {error: {message: 'no scripted reply', type: 'server_error', param: null, code: null}});
  await reply([{content: 'one'}]);
  assert.equal((await chat()).status, 200);
  assert.equal((await chat()).status, 503, 'the queue ran out');
});

test('every chat request is recorded: method, path, lower-case headers, parsed or raw body, answer', async () => {
  await reply([{content: 'ok'}]);
  await chat(undefined, {headers: {'X-Faultline-Run': 'run-7', 'User-Agent': 'faultline-test/1'}});
  await chat('{"model":', {});
  await chat(undefined, {key: 'wrong'});
  await chat();
  const seen = await requests();
  assert.equal(seen.length, 4);
  assert.deepEqual(seen.map((r) => [r.method, r.path, r.answered]),
    [['POST', '/v1/chat/completions', 200], ['POST', '/v1/chat/completions', 400], ['POST', '/v1/chat/completions', 401],
      ['POST', '/v1/chat/completions', 503]]);
  const [first, garbled, wrongKey] = seen;
  assert.equal(first.headers.authorization, 'Bearer test-model-key');
  assert.equal(first.headers['x-faultline-run'], 'run-7');
  assert.equal(first.headers['user-agent'], 'faultline-test/1');
  assert.match(first.headers['content-type'], /^application\/json/);
  assert.ok(Object.keys(first.headers).every((name) => name === name.toLowerCase()));
  assert.deepEqual(first.body, {model: 'meta/llama-3.1-8b-instruct', messages});
  assert.equal(garbled.body, '{"model":');
  assert.equal(wrongKey.headers.authorization, 'Bearer wrong');
});

test('reset clears replies, forever, requests and the key', async () => {
  await control('api-key', {key: 'other'});
  await reply([{content: 'dropped'}], {content: 'dropped too'});
  await chat(undefined, {key: 'other'});
  assert.equal((await control('reset', {})).status, 200);
  assert.deepEqual(await requests(), []);
  const answer = await chat();  // the default key again, and nothing scripted
  assert.equal(answer.status, 503);
  assert.equal((await answer.json()).error.message, 'no scripted reply');
});

test('unknown paths are 404 JSON; malformed control bodies are 400', async () => {
  for (const [p, method] of [['/v1/completions', 'POST'], ['/v1/models', 'GET'], ['/chat/completions', 'POST']]) {
    const answer = await fetch(`${base}${p}`, {method, headers: {authorization: 'Bearer test-model-key'}});
    assert.equal(answer.status, 404, p);
    assert.equal(typeof (await answer.json()).error.message, 'string');
  }
  assert.equal((await fetch(`${base}/v1/chat/completions`)).status, 405);
  assert.equal((await control('nothing', {})).status, 404);
  assert.equal((await fetch(`${base}/_control/replies`, {method: 'POST', body: '{'})).status, 400);
  assert.equal((await control('replies', {replies: [{delay_ms: 5}]})).status, 400, 'a reply needs content, raw or status');
  assert.equal((await control('replies', {replies: [{content: 'x'}], forever: {}})).status, 400);
  assert.equal((await control('api-key', {})).status, 400);
  const seen = await requests();
  assert.deepEqual(seen.map((r) => [r.method, r.path, r.body, r.answered]), [['GET', '/v1/chat/completions', '', 405]],
    'only chat requests are recorded');
});
