// A fake OpenAI-compatible model (POST /v1/chat/completions, as OpenAI,
// NVIDIA's API, vLLM and llama.cpp serve it), for tests. Its answers are
// scripted: /_control/* queues replies (completions, errors, garbage, slow
// ones), sets the API key and shows what was asked.
// Usage: node fake-model.mjs [--port N]   (0: any free port)
import http from 'node:http';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
const DEFAULT_KEY = 'test-model-key';
const MAX_BODY = 1024 * 1024;

let state;
function reset() {
  // replies: [{content | raw | status, …, delay_ms}], taken in turn; forever: one reply, or null.
  state = {key: DEFAULT_KEY, replies: [], forever: null, requests: [], nextId: 1};
}
reset();

// Chunks joined once (a UTF-8 character may straddle two); past MAX_BODY
// the rest is read and dropped, so the client still gets its 413.
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  }
  return size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers});
  res.end(text);
}

// OpenAI's error body.
const error = (message, type, code = null, param = null) => ({error: {message, type, param, code}});

// Timers may fire a little early by the fine clock; a slow model must never be faster than it says.
async function sleepAtLeast(ms) {
  const end = performance.now() + ms;
  for (let left = ms; left > 0; left = end - performance.now()) await sleep(Math.ceil(left));
}

// About four characters a token, as OpenAI's rule of thumb has it.
const tokens = (text) => Math.ceil(text.length / 4);
const textOf = (content) => (typeof content === 'string' ? content
  : Array.isArray(content) ? content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('') : '');

// Why the body is not a chat request, or undefined if it is one.
function invalid(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['The body must be a JSON object', null];
  if (typeof body.model !== 'string' || !body.model) return ['you must provide a model parameter', 'model'];
  if (!Array.isArray(body.messages) || body.messages.length === 0) return ['messages must be a non-empty array', 'messages'];
  const at = body.messages.findIndex((m) => m === null || typeof m !== 'object' || typeof m.role !== 'string'
    || !(typeof m.content === 'string' || Array.isArray(m.content) || (m.content === null && m.role === 'assistant')));
  if (at >= 0) return [`messages[${at}] must be an object with a string role and a content`, `messages[${at}]`];
  return undefined;
}

function completion(request, reply) {
  const content = reply.content;
  const answer = {id: `chatcmpl-${state.nextId++}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000),
    model: request.model, choices: [{index: 0, message: {role: 'assistant', content},
      finish_reason: reply.finish_reason ?? 'stop'}]};
  if (!reply.no_usage) {
    const prompt = tokens(request.messages.map((m) => textOf(m.content)).join(''));
    const completionTokens = tokens(content);
    answer.usage = {prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens};
  }
  return answer;
}

// A scripted reply as status, headers and body.
function answerOf(request, reply) {
  const headers = {...(reply.headers || {})};
  if (reply.retry_after !== undefined) headers['retry-after'] = String(reply.retry_after);
  if (typeof reply.raw === 'string') return [reply.status ?? 200, reply.raw, {'content-type': 'application/json', ...headers}];
  if (typeof reply.content === 'string') return [reply.status ?? 200, completion(request, reply), headers];
  const status = reply.status;
  if (reply.body !== undefined) return [status, reply.body, headers];
  if (status < 400) return [status, '', headers];
  if (status === 429) {
    return [status, error('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'),
      {'x-ratelimit-remaining-requests': '0', ...headers}];
  }
  return [status, error(`scripted status ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error'), headers];
}

const validReply = (r) => r !== null && typeof r === 'object' && !Array.isArray(r)
  && (typeof r.content === 'string' || typeof r.raw === 'string' || Number.isInteger(r.status))
  && (r.status === undefined || (Number.isInteger(r.status) && r.status >= 200 && r.status <= 599));

function control(res, what, json) {
  if (what === 'reset') { reset(); return send(res, 200, {ok: true}); }
  if (what === 'requests') return send(res, 200, state.requests);
  if (what === 'api-key') {  // {key}
    if (typeof json?.key !== 'string') return send(res, 400, {error: 'key must be a string'});
    state.key = json.key;
    return send(res, 200, {ok: true});
  }
  if (what === 'replies') {  // {replies: [reply…], forever?: reply}
    const replies = json?.replies ?? [];
    if (!Array.isArray(replies) || !replies.every(validReply)) return send(res, 400, {error: 'replies must be an array of replies'});
    if (json.forever !== undefined && !validReply(json.forever)) return send(res, 400, {error: 'forever must be a reply'});
    state.replies.push(...replies);
    if (json.forever !== undefined) state.forever = json.forever;
    return send(res, 200, {ok: true, queued: state.replies.length});
  }
  return send(res, 404, {error: 'unknown control'});
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://fake');
  const text = await readBody(req);
  const path = url.pathname;
  if (path.startsWith('/_control/')) {
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { return send(res, 400, {error: 'bad JSON'}); }
    return control(res, path.slice('/_control/'.length), json);
  }
  if (path !== '/v1/chat/completions') {
    return send(res, 404, error(`Invalid URL (${req.method} ${path})`, 'invalid_request_error'));
  }

  let body = text;
  try { body = JSON.parse(text); } catch { /* kept as the raw string */ }
  const record = {method: req.method, path, headers: {...req.headers}, body, answered: undefined};
  state.requests.push(record);
  const answer = (status, payload, headers) => { record.answered = status; send(res, status, payload, headers); };

  if (req.method !== 'POST') return answer(405, error(`Method ${req.method} not allowed`, 'invalid_request_error'));
  if (text === null) return answer(413, error(`The request body is over ${MAX_BODY} bytes`, 'invalid_request_error'));
  const auth = req.headers.authorization || '';
  const key = /^bearer /i.test(auth) ? auth.slice(7).trim() : '';
  if (!key) {
    return answer(401, error('You didn\'t provide an API key. Provide it in an Authorization header (Bearer auth).',
      'invalid_request_error', 'invalid_api_key'));
  }
  if (key !== state.key) {
    return answer(401, error(`Incorrect API key provided: ${key.slice(0, 3)}***.`, 'invalid_request_error', 'invalid_api_key'));
  }
  if (typeof body === 'string') {
    return answer(400, error('We could not parse the JSON body of your request.', 'invalid_request_error'));
  }
  const why = invalid(body);
  if (why) return answer(400, error(why[0], 'invalid_request_error', null, why[1]));

  // Only a valid, authorized request takes a scripted reply.
  const reply = state.replies.length ? state.replies.shift() : state.forever;
  if (!reply) return answer(503, error('no scripted reply', 'server_error'));
  const [status, payload, headers] = answerOf(body, reply);
  // A slow model: recorded (with its answer) now, answered later.
  record.answered = status;
  if (reply.delay_ms) await sleepAtLeast(reply.delay_ms);
  return answer(status, payload, headers);
});

server.listen(port, '127.0.0.1', () => {
  console.error(JSON.stringify({msg: 'listening', port: server.address().port}));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
