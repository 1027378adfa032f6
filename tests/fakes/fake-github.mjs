// A fake of the part of GitHub's REST API that Faultline uses, for tests.
// State lives in memory; /_control/* seeds it, injects faults and shows what
// was asked. Usage: node fake-github.mjs [--port N]   (0: any free port)
import crypto from 'node:crypto';
import http from 'node:http';
import {emptyGit, filesAt, gitRoute, seedCommit} from './fake-github-git.mjs';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

let state;
function reset() {
  state = {runs: {}, issues: {}, deliveries: {}, redeliveries: [], requests: [], faults: [], nextIssue: 1,
    oauthApp: {client_id: 'fake-client', client_secret: 'fake-secret'},
    users: new Map(), // login -> {id, login, name}; a Map keeps seeding order ("first user" approves)
    tokens: {}, codes: {}, userRepos: {}, hooks: {}, nextHook: 9001, reruns: [], jobs: {}, logs: {}, revocations: [],
    delays: [], // {method, path_prefix, ms, after, times}: matching requests are answered that much later (the first `times` only, when given)
    git: emptyGit()};
}
reset();

// Counts a delay with `times` down; true so it can sit in a condition.
function countDown(delay) {
  if (delay.times !== undefined) delay.times -= 1;
  return true;
}

function send(res, status, body, headers = {}) {
  const now = Math.floor(Date.now() / 1000);
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(now + 3600),
    ...headers,
  });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function link(base, query, page, pages) {
  const parts = [];
  const at = (p) => { const q = new URLSearchParams(query); q.set('page', String(p)); return `<${base}?${q}>`; };
  if (page < pages) parts.push(`${at(page + 1)}; rel="next"`, `${at(pages)}; rel="last"`);
  if (page > 1) parts.push(`${at(1)}; rel="first"`, `${at(page - 1)}; rel="prev"`);
  return parts.join(', ');
}

function paginate(req, res, url, items, wrap) {
  const perPage = Math.min(Number(url.searchParams.get('per_page') || 30), 100);
  const page = Number(url.searchParams.get('page') || 1);
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const headers = {};
  const l = link(`http://${req.headers.host}${url.pathname}`, url.searchParams, page, pages);
  if (l) headers.link = l;
  send(res, 200, wrap ? wrap(slice) : slice, headers);
}

function inCreated(run, filter) {
  if (!filter) return true;
  const t = Date.parse(run.created_at);
  if (filter.startsWith('>=')) return t >= Date.parse(filter.slice(2));
  const [a, b] = filter.split('..');
  return t >= Date.parse(a) && t <= Date.parse(b);
}

// Chunks joined once: logs can be megabytes, and a UTF-8 character may straddle two chunks.
async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function takeFault(path, method) {
  const fault = state.faults.find((f) => f.responses.length && path.startsWith(f.path_prefix) && (!f.method || f.method === method));
  return fault && fault.responses.shift();
}

const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomToken = () => 'gho_' + Array.from({length: 36}, () => alnum[crypto.randomInt(alnum.length)]).join('');

const oauthErrors = {
  incorrect_client_credentials: {error: 'incorrect_client_credentials',
    error_description: 'The client_id and/or client_secret passed are incorrect.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials'},
  bad_verification_code: {error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code'},
  redirect_uri_mismatch: {error: 'redirect_uri_mismatch',
    error_description: 'The redirect_uri MUST match the registered callback URL for this application.'},
};

// GitHub answers the token exchange as a form unless asked for JSON, and errors with HTTP 200.
function sendOauth(req, res, fields) {
  if ((req.headers.accept || '').includes('application/json')) return send(res, 200, fields);
  res.writeHead(200, {'content-type': 'application/x-www-form-urlencoded; charset=utf-8'});
  res.end(new URLSearchParams(fields).toString());
}

function tokenLogin(req) {
  const auth = req.headers.authorization || '';
  return auth.startsWith('Bearer ') ? state.tokens[auth.slice(7)] : undefined;
}
const badCredentials = {message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest'};

// A hook as the API shows it: the secret is masked (only /_control/hooks reveals it).
function hookView(req, repo, h) {
  const {secret, ...config} = h.config;
  const url = `http://${req.headers.host}/repos/${repo}/hooks/${h.id}`;
  return {type: 'Repository', id: h.id, name: h.name, active: h.active, events: h.events,
    config: secret ? {...config, secret: '********'} : config, created_at: h.created_at, updated_at: h.updated_at,
    url, test_url: `${url}/test`, ping_url: `${url}/pings`, deliveries_url: `${url}/deliveries`};
}

function setHookConfig(h, config) {
  for (const k of ['url', 'content_type', 'secret']) if (config[k] !== undefined) h.config[k] = config[k];
  if (config.insecure_ssl !== undefined) h.config.insecure_ssl = String(config.insecure_ssl);
}

// Web routes (github.com, not the API): browsers and OAuth clients send no API headers.
function web(req, res, url, path, text, json) {
  if (path === '/login/oauth/authorize' && req.method === 'GET') {
    const q = url.searchParams;
    if (q.get('client_id') !== state.oauthApp.client_id || !q.get('redirect_uri')) return send(res, 404, {message: 'Not Found'});
    // The user approves at once: the one named by the fake's own `login` parameter, else the first seeded.
    const login = q.get('login') ?? state.users.keys().next().value;
    if (!state.users.has(login)) return send(res, 404, {message: 'Not Found'});
    const code = crypto.randomBytes(10).toString('hex');
    state.codes[code] = {login, client_id: q.get('client_id'), redirect_uri: q.get('redirect_uri')};
    const to = new URL(q.get('redirect_uri'));
    to.searchParams.set('code', code);
    if (q.has('state')) to.searchParams.set('state', q.get('state'));
    res.writeHead(302, {location: to.toString()});
    return res.end();
  }
  if (path === '/login/oauth/access_token' && req.method === 'POST') {
    const form = (req.headers['content-type'] || '').includes('application/x-www-form-urlencoded');
    const p = form ? Object.fromEntries(new URLSearchParams(text)) : (json ?? {});
    if (p.client_id !== state.oauthApp.client_id || p.client_secret !== state.oauthApp.client_secret)
      return sendOauth(req, res, oauthErrors.incorrect_client_credentials);
    const code = state.codes[p.code];
    if (!code || code.client_id !== p.client_id) return sendOauth(req, res, oauthErrors.bad_verification_code);
    if (p.redirect_uri && p.redirect_uri !== code.redirect_uri) return sendOauth(req, res, oauthErrors.redirect_uri_mismatch);
    delete state.codes[p.code]; // single use
    const token = randomToken();
    state.tokens[token] = code.login;
    return sendOauth(req, res, {access_token: token, scope: 'repo,admin:repo_hook', token_type: 'bearer'});
  }
  let m;
  if ((m = path.match(/^\/_logs\/(\d+)$/)) && req.method === 'GET') {
    const log = state.logs[m[1]];
    if (!log) return send(res, 404, {message: 'Not Found'});
    res.writeHead(200, {'content-type': 'text/plain; charset=utf-8'});
    return res.end(log.text);
  }
  return false;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://fake');
  const text = await body(req);
  const path = url.pathname;
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = undefined; }

  if (path.startsWith('/_control/')) {
    const what = path.slice('/_control/'.length);
    if (what === 'reset') { reset(); return send(res, 200, {ok: true}); }
    if (what === 'runs') { (state.runs[json.repo] ??= []).push(...json.runs); return send(res, 200, {ok: true}); }
    if (what === 'deliveries') { (state.deliveries[`${json.repo}/${json.hook_id}`] ??= []).push(...json.deliveries); return send(res, 200, {ok: true}); }
    if (what === 'faults') { state.faults.push({...json, responses: [...json.responses]}); return send(res, 200, {ok: true}); }
    if (what === 'delays') { state.delays.push(json); return send(res, 200, {ok: true}); }
    if (what === 'issues') return send(res, 200, state.issues);
    if (what === 'requests') return send(res, 200, state.requests);
    if (what === 'redeliveries') return send(res, 200, state.redeliveries);
    if (what === 'oauth_app') { state.oauthApp = {client_id: json.client_id, client_secret: json.client_secret}; return send(res, 200, {ok: true}); }
    if (what === 'users') {
      state.users.set(json.login, {id: json.id, login: json.login, name: json.name ?? null});
      state.userRepos[json.login] = json.repos ?? [];
      if (json.token) state.tokens[json.token] = json.login;
      return send(res, 200, {ok: true});
    }
    if (what === 'jobs') { (state.jobs[`${json.repo}/${json.run_id}`] ??= []).push(...json.jobs); return send(res, 200, {ok: true}); }
    if (what === 'logs') { state.logs[String(json.job_id)] = {status: json.status ?? 200, text: json.text}; return send(res, 200, {ok: true}); }
    if (what === 'hooks') return send(res, 200, state.hooks);
    if (what === 'reruns') return send(res, 200, state.reruns);
    if (what === 'revocations') return send(res, 200, state.revocations);
    if (what === 'tokens') return send(res, 200, state.tokens);
    if (what === 'git') return send(res, 200, {sha: seedCommit(state.git, json)});
    if (what === 'git-files') return send(res, 200, filesAt(state.git, json.repo, json.ref));
    if (what === 'pulls') return send(res, 200, state.git.pulls);
    return send(res, 404, {message: 'Not Found'});
  }

  const auth = req.headers.authorization || '';
  state.requests.push({
    method: req.method, path, query: url.search, time_ms: Date.now(),
    token: auth.startsWith('Bearer ') ? auth.slice(7) : '',
    accept: req.headers.accept || '', api_version: req.headers['x-github-api-version'] || '',
    user_agent: req.headers['user-agent'] || '', traceparent: req.headers.traceparent || '', body: text,
  });
  const delay = state.delays.find((d) => (d.times ?? 1) > 0 && path.startsWith(d.path_prefix) && (!d.method || d.method === req.method));
  if (delay && countDown(delay) && !delay.after) await new Promise((resolve) => setTimeout(resolve, delay.ms));
  // after: the request is done at once and only its answer is late, so a
  // client killed meanwhile leaves behind what GitHub did without knowing it.
  if (delay?.after) {
    const end = res.end.bind(res);
    res.end = (...args) => { setTimeout(() => end(...args), delay.ms); return res; };
  }
  if (path.startsWith('/login/oauth/') || path.startsWith('/_logs/')) {
    const r = takeFault(path, req.method);
    if (r) return send(res, r.status, r.body ?? {message: 'fault'}, r.headers ?? {});
    if (web(req, res, url, path, text, json) !== false) return;
  }
  if (req.headers.accept !== 'application/vnd.github+json' || req.headers['x-github-api-version'] !== '2022-11-28')
    return send(res, 400, {message: 'Accept and X-GitHub-Api-Version headers are required'});
  if (!req.headers['user-agent']) return send(res, 403, {message: 'User-Agent required'});
  if (json === undefined) return send(res, 400, {message: 'Problems parsing JSON'});

  const fault = takeFault(path, req.method);
  if (fault) return send(res, fault.status, fault.body ?? {message: 'fault'}, fault.headers ?? {});

  if (gitRoute(state.git, req, res, url, path, json, send) !== false) return;
  let m;
  if ((m = path.match(/^\/applications\/([^/]+)\/token$/)) && req.method === 'DELETE') {
    const [id, secret] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':');
    const app = state.oauthApp;
    if (!auth.startsWith('Basic ') || id !== app.client_id || secret !== app.client_secret || m[1] !== app.client_id)
      return send(res, 401, {message: 'Bad credentials'});
    if (!state.tokens[json?.access_token]) return send(res, 404, {message: 'Not Found'});
    delete state.tokens[json.access_token];
    state.revocations.push({client_id: app.client_id, token: json.access_token});
    return send(res, 204);
  }
  if (path === '/user' && req.method === 'GET') {
    const user = state.users.get(tokenLogin(req));
    if (!user) return send(res, 401, badCredentials);
    return send(res, 200, {id: user.id, login: user.login, name: user.name, type: 'User', html_url: `https://github.com/${user.login}`});
  }
  if (path === '/user/repos' && req.method === 'GET') {
    const login = tokenLogin(req);
    if (!login) return send(res, 401, badCredentials);
    const q = url.searchParams;
    const visibility = q.get('visibility') ?? 'all', sort = q.get('sort') ?? 'full_name';
    const direction = q.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc');
    const keys = {created: 'created_at', updated: 'updated_at', pushed: 'pushed_at', full_name: 'full_name'};
    if (!['all', 'public', 'private'].includes(visibility) || !keys[sort] || !['asc', 'desc'].includes(direction))
      return send(res, 422, {message: 'Validation Failed'});
    const key = keys[sort];
    const order = (a, b) => (key === 'full_name' ? String(a[key]).localeCompare(String(b[key])) : (Date.parse(a[key]) || 0) - (Date.parse(b[key]) || 0));
    const repos = (state.userRepos[login] ?? [])
      .filter((r) => visibility === 'all' || Boolean(r.private) === (visibility === 'private'))
      .sort((a, b) => (direction === 'asc' ? order(a, b) : order(b, a)));
    return paginate(req, res, url, repos);
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)$/)) && req.method === 'GET') {
    const repo = Object.values(state.userRepos).flat().find((r) => r.full_name.toLowerCase() === m[1].toLowerCase());
    return repo ? send(res, 200, repo) : send(res, 404, {message: 'Not Found'});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/hooks$/))) {
    const hooks = (state.hooks[m[1]] ??= []);
    if (req.method === 'POST') {
      if (!json?.config?.url)
        return send(res, 422, {message: 'Validation Failed', errors: [{resource: 'Hook', code: 'custom', message: 'Config must have a url'}]});
      const now = new Date().toISOString();
      const hook = {id: state.nextHook++, name: 'web', active: json.active ?? true, events: json.events ?? ['push'],
        config: {url: json.config.url, content_type: 'form', insecure_ssl: '0'}, created_at: now, updated_at: now};
      setHookConfig(hook, json.config);
      hooks.push(hook);
      return send(res, 201, hookView(req, m[1], hook));
    }
    if (req.method === 'GET') return paginate(req, res, url, hooks.map((h) => hookView(req, m[1], h)));
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/hooks\/(\d+)$/)) && ['PATCH', 'DELETE'].includes(req.method)) {
    const hooks = state.hooks[m[1]] ?? [];
    const at = hooks.findIndex((h) => h.id === Number(m[2]));
    if (at < 0) return send(res, 404, {message: 'Not Found'});
    if (req.method === 'DELETE') { hooks.splice(at, 1); return send(res, 204); }
    const hook = hooks[at];
    if (json?.active !== undefined) hook.active = json.active;
    if (json?.events !== undefined) hook.events = json.events;
    if (json?.config) setHookConfig(hook, json.config);
    hook.updated_at = new Date().toISOString();
    return send(res, 200, hookView(req, m[1], hook));
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/(rerun|rerun-failed-jobs)$/)) && req.method === 'POST') {
    state.reruns.push({repo: m[1], run_id: Number(m[2]), failed_jobs_only: m[3] === 'rerun-failed-jobs',
      token: auth.startsWith('Bearer ') ? auth.slice(7) : ''});
    return send(res, 201, {});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/jobs$/)) && req.method === 'GET') {
    let jobs = state.jobs[`${m[1]}/${m[2]}`] ?? [];
    // filter=latest (the default) keeps the latest attempt's jobs, when jobs say which attempt they belong to.
    if (url.searchParams.get('filter') !== 'all') {
      const latest = Math.max(0, ...jobs.map((j) => j.run_attempt ?? 0));
      jobs = jobs.filter((j) => (j.run_attempt ?? 0) === latest);
    }
    return paginate(req, res, url, jobs, (slice) => ({total_count: jobs.length, jobs: slice}));
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/jobs\/(\d+)\/logs$/)) && req.method === 'GET') {
    const log = state.logs[m[2]];
    if (!log) return send(res, 404, {message: 'Not Found'});
    if (log.status !== 200) return send(res, log.status, {message: 'Gone'});
    // GitHub redirects to a short-lived blob storage URL; here, the fake's own /_logs route.
    res.writeHead(302, {location: `http://${req.headers.host}/_logs/${m[2]}`});
    return res.end();
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)$/)) && req.method === 'GET') {
    const run = (state.runs[m[1]] ?? []).find((r) => String(r.id) === m[2]);
    return run ? send(res, 200, run) : send(res, 404, {message: 'Not Found', documentation_url: 'https://docs.github.com/rest'});
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/actions\/runs$/)) && req.method === 'GET') {
    const runs = (state.runs[m[1]] ?? [])
      .filter((r) => !url.searchParams.get('status') || r.status === url.searchParams.get('status'))
      .filter((r) => inCreated(r, url.searchParams.get('created')))
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    return paginate(req, res, url, runs, (slice) => ({total_count: runs.length, workflow_runs: slice}));
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/issues$/))) {
    const repo = m[1];
    const issues = (state.issues[repo] ??= []);
    if (req.method === 'POST') {
      if (!json?.title) return send(res, 422, {message: 'Validation Failed'});
      const issue = {id: 1000 + state.nextIssue, number: state.nextIssue++, title: json.title, body: json.body ?? '',
        labels: (json.labels ?? []).map((name) => ({name})), state: 'open', comments: [],
        html_url: `https://github.com/${repo}/issues/${issues.length + 1}`};
      issues.push(issue);
      return send(res, 201, issue);
    }
    if (req.method === 'GET') {
      const label = url.searchParams.get('labels');
      const wanted = url.searchParams.get('state') ?? 'open';
      const found = issues.filter((i) => (!label || i.labels.some((l) => l.name === label)) && (wanted === 'all' || i.state === wanted));
      return paginate(req, res, url, found);
    }
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)(\/comments)?$/))) {
    const issue = (state.issues[m[1]] ?? []).find((i) => i.number === Number(m[2]));
    if (!issue) return send(res, 404, {message: 'Not Found'});
    if (m[3] && req.method === 'POST') { issue.comments.push(json.body); return send(res, 201, {id: issue.comments.length, body: json.body}); }
    if (!m[3] && req.method === 'PATCH') { Object.assign(issue, {state: json.state ?? issue.state}); return send(res, 200, issue); }
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/hooks\/(\d+)\/deliveries$/)) && req.method === 'GET') {
    const all = state.deliveries[`${m[1]}/${m[2]}`] ?? [];
    const perPage = Number(url.searchParams.get('per_page') || 30);
    const start = Number(url.searchParams.get('cursor') || 0);
    const headers = {};
    if (start + perPage < all.length) {
      const q = new URLSearchParams(url.searchParams); q.set('cursor', String(start + perPage));
      headers.link = `<http://${req.headers.host}${url.pathname}?${q}>; rel="next"`;
    }
    return send(res, 200, all.slice(start, start + perPage), headers);
  }
  if ((m = path.match(/^\/repos\/([^/]+\/[^/]+)\/hooks\/(\d+)\/deliveries\/(\d+)\/attempts$/)) && req.method === 'POST') {
    state.redeliveries.push({repo: m[1], hook_id: Number(m[2]), delivery_id: Number(m[3])});
    return send(res, 202, {});
  }
  return send(res, 404, {message: 'Not Found'});
});

server.listen(port, '127.0.0.1', () => {
  console.error(JSON.stringify({msg: 'listening', port: server.address().port}));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
