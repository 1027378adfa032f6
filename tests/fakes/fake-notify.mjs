// Fake receivers of Faultline's notifications, for tests: a Slack incoming
// webhook (POST /slack/<hook>), a Standard Webhooks receiver that verifies
// every signature (POST /webhook/<name>) and PagerDuty's Events API v2
// (POST /pagerduty/v2/enqueue). /_control/* sets secrets, injects answers and
// shows what was received. Usage: node fake-notify.mjs [--port N]   (0: any free port)
import http from 'node:http';
import {verify} from './standard-webhooks.mjs';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

let state;
function reset() {
  // faults: {path_prefix, responses: [{status, headers, body, delay_ms}], forever: {…}}
  state = {received: [], faults: [], secrets: {}, pagerduty: {}};
}
reset();

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers});
  res.end(text);
}

function takeFault(path) {
  const fault = state.faults.find((f) => path.startsWith(f.path_prefix) && (f.responses.length || f.forever));
  if (!fault) return undefined;
  return fault.responses.length ? fault.responses.shift() : fault.forever;
}

function control(req, res, path, body) {
  if (path === '/_control/reset') { reset(); return send(res, 200, {ok: true}); }
  if (path === '/_control/received') return send(res, 200, state.received);
  if (path === '/_control/pagerduty') return send(res, 200, state.pagerduty);
  if (path === '/_control/webhook-secrets') {  // {name: [whsec_...]}
    Object.assign(state.secrets, JSON.parse(body));
    return send(res, 200, {ok: true});
  }
  if (path === '/_control/fail') {  // {path_prefix, responses?, forever?}
    const fault = JSON.parse(body);
    state.faults.push({path_prefix: fault.path_prefix, responses: fault.responses || [], forever: fault.forever});
    return send(res, 200, {ok: true});
  }
  return send(res, 404, {error: 'unknown control'});
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://fake');
  const body = await readBody(req);
  const path = url.pathname;
  if (path.startsWith('/_control/')) return control(req, res, path, body);

  const record = {path, at: new Date().toISOString(), headers: {}, body};
  for (const name of ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature'])
    if (req.headers[name] !== undefined) record.headers[name] = req.headers[name];
  let receiver;
  if (req.method === 'POST' && path.startsWith('/slack/')) receiver = 'slack';
  else if (req.method === 'POST' && path.startsWith('/webhook/')) receiver = 'webhook';
  else if (req.method === 'POST' && path === '/pagerduty/v2/enqueue') receiver = 'pagerduty';
  else return send(res, 404, {error: 'no such receiver'});
  record.receiver = receiver;
  // A webhook's signature is checked whatever the answer will be.
  if (receiver === 'webhook') {
    const verdict = verify(state.secrets[path.slice('/webhook/'.length)] || [], req.headers, body);
    record.verified = verdict.ok;
    record.why = verdict.why;
  }

  const fault = takeFault(path);
  if (fault) {
    record.answered = fault.status;
    state.received.push(record);
    // A slow receiver: received now, answered later (a sender may die meanwhile).
    if (fault.delay_ms) await new Promise((resolve) => setTimeout(resolve, fault.delay_ms));
    return send(res, fault.status, fault.body ?? '', fault.headers || {});
  }
  if (receiver === 'webhook') {
    record.answered = record.verified ? 204 : 401;
    state.received.push(record);
    return send(res, record.answered, '');
  }
  let parsed;
  try { parsed = JSON.parse(body); } catch { parsed = undefined; }
  if (receiver === 'slack') {
    record.answered = parsed && typeof parsed.text === 'string' ? 200 : 400;
    state.received.push(record);
    return send(res, record.answered, record.answered === 200 ? 'ok' : 'invalid_payload');
  }
  // PagerDuty: one incident per dedup_key, moved by each event_action.
  const valid = parsed && typeof parsed.routing_key === 'string' && parsed.routing_key.length === 32 &&
    ['trigger', 'acknowledge', 'resolve'].includes(parsed.event_action) &&
    (parsed.event_action !== 'trigger' || (parsed.payload && parsed.payload.summary && parsed.payload.source && parsed.payload.severity));
  record.answered = valid ? 202 : 400;
  state.received.push(record);
  if (!valid) return send(res, 400, {status: 'invalid event', message: 'Event object is invalid'});
  const key = parsed.dedup_key;
  const incident = state.pagerduty[key] || (state.pagerduty[key] = {actions: []});
  incident.actions.push(parsed.event_action);
  incident.state = {trigger: 'triggered', acknowledge: 'acknowledged', resolve: 'resolved'}[parsed.event_action];
  return send(res, 202, {status: 'success', message: 'Event processed', dedup_key: key});
});

server.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({msg: 'listening', port: server.address().port}));
});
