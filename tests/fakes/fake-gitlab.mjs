// A fake of the part of GitLab's REST API (/api/v4) that Faultline uses, for
// tests. State lives in memory; /_control/* seeds it, injects faults and
// shows what was asked. Usage: node fake-gitlab.mjs [--port N]   (0: any free port)
import http from 'node:http';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

let state;
function reset() {
  state = {projects: [], tokens: {}, issues: {}, hooks: {}, pipelines: {}, traces: {}, requests: [], faults: [],
    nextIssueId: 5000, nextNote: 7000, nextHook: 3000};
}
reset();

function send(res, status, body, headers = {}) {
  res.writeHead(status, {'content-type': 'application/json', ...headers});
  res.end(body === undefined ? '' : JSON.stringify(body));
}

// Chunks joined once: a UTF-8 character may straddle two chunks.
async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

// GitLab takes parameters from the query, a form or a JSON body alike.
function params(req, url, text) {
  const p = Object.fromEntries(url.searchParams);
  const type = req.headers['content-type'] || '';
  if (!text) return p;
  if (type.includes('application/json')) return {...p, ...JSON.parse(text)};
  if (type.includes('application/x-www-form-urlencoded')) return {...p, ...Object.fromEntries(new URLSearchParams(text))};
  return p;
}

function takeFault(path, method) {
  const fault = state.faults.find((f) => f.responses.length && path.startsWith(f.path_prefix) && (!f.method || f.method === method));
  return fault && fault.responses.shift();
}

// GitLab's offset pagination: x-* headers, and a Link header as well.
function paginate(req, res, url, items) {
  const perPage = Math.max(1, Math.min(Number(url.searchParams.get('per_page') || 20), 100));
  const page = Math.max(1, Number(url.searchParams.get('page') || 1));
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const at = (n) => { const q = new URLSearchParams(url.searchParams); q.set('page', String(n)); return `<http://${req.headers.host}${url.pathname}?${q}>`; };
  const links = [];
  if (page < pages) links.push(`${at(page + 1)}; rel="next"`);
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`);
  links.push(`${at(1)}; rel="first"`, `${at(pages)}; rel="last"`);
  send(res, 200, items.slice((page - 1) * perPage, page * perPage), {
    'x-page': String(page), 'x-per-page': String(perPage), 'x-total': String(items.length), 'x-total-pages': String(pages),
    'x-next-page': page < pages ? String(page + 1) : '', 'x-prev-page': page > 1 ? String(page - 1) : '',
    link: links.join(', '),
  });
}

function tokenOf(req) {
  if (req.headers['private-token']) return req.headers['private-token'];
  const auth = req.headers.authorization || '';
  return auth.startsWith('Bearer ') ? auth.slice(7) : '';
}

// A project is named by its id or its URL-encoded full path (group%2Fproject).
function findProject(ref) {
  const decoded = decodeURIComponent(ref);
  return state.projects.find((p) => String(p.id) === decoded || p.path_with_namespace.toLowerCase() === decoded.toLowerCase());
}

// A token sees the projects it was seeded with; another project is "not found", as GitLab hides it.
function visible(token, project) {
  const t = state.tokens[token];
  return t && project && (t.projects === '*' || t.projects.includes(project.id));
}

const labelsOf = (value) => (Array.isArray(value) ? value : String(value ?? '').split(',')).map((l) => l.trim()).filter(Boolean);

function issueRoutes(req, res, url, project, rest, p) {
  const issues = (state.issues[project.id] ??= []);
  if (rest === '/issues' && req.method === 'POST') {
    if (!p.title) return send(res, 400, {message: {title: ['can\'t be blank']}});
    const now = new Date().toISOString();
    const iid = issues.length + 1;
    const issue = {id: state.nextIssueId++, iid, project_id: project.id, title: p.title, description: p.description ?? null,
      state: 'opened', labels: labelsOf(p.labels), created_at: now, updated_at: now, closed_at: null,
      web_url: `${project.web_url}/-/issues/${iid}`, notes: []};
    issues.push(issue);
    return send(res, 201, issueView(issue));
  }
  if (rest === '/issues' && req.method === 'GET') {
    const wanted = p.state ?? 'all';
    const labels = labelsOf(p.labels);
    const search = p.search?.toLowerCase();
    const fields = labelsOf(p.in ?? 'title,description');
    const found = issues.filter((i) => (wanted === 'all' || i.state === wanted)
      && labels.every((l) => i.labels.includes(l))
      && (!search || fields.some((f) => String(i[f] ?? '').toLowerCase().includes(search))))
      .sort((a, b) => b.iid - a.iid);
    return paginate(req, res, url, found.map(issueView));
  }
  const m = rest.match(/^\/issues\/(\d+)(\/notes)?$/);
  if (!m) return false;
  const issue = issues.find((i) => i.iid === Number(m[1]));
  if (!issue) return send(res, 404, {message: '404 Not found'});
  if (m[2] && req.method === 'POST') {
    if (!p.body) return send(res, 400, {message: {note: ['can\'t be blank']}});
    const note = {id: state.nextNote++, body: p.body, noteable_type: 'Issue', noteable_iid: issue.iid, system: false,
      created_at: new Date().toISOString()};
    issue.notes.push(note);
    return send(res, 201, note);
  }
  if (m[2] && req.method === 'GET') return paginate(req, res, url, issue.notes);
  if (!m[2] && req.method === 'PUT') {
    if (p.state_event === 'close' && issue.state !== 'closed') Object.assign(issue, {state: 'closed', closed_at: new Date().toISOString()});
    if (p.state_event === 'reopen') Object.assign(issue, {state: 'opened', closed_at: null});
    if (p.title) issue.title = p.title;
    if (p.description !== undefined) issue.description = p.description;
    issue.updated_at = new Date().toISOString();
    return send(res, 200, issueView(issue));
  }
  if (!m[2] && req.method === 'GET') return send(res, 200, issueView(issue));
  return false;
}

const issueView = ({notes, ...issue}) => ({...issue, user_notes_count: notes.length});

// The token is write-only: GitLab never shows it back.
const hookView = ({token, ...hook}) => hook;

function hookRoutes(req, res, url, project, rest, p) {
  const hooks = (state.hooks[project.id] ??= []);
  if (rest === '/hooks' && req.method === 'POST') {
    if (!p.url) return send(res, 400, {error: 'url is missing'});
    let parsed;
    try { parsed = new URL(p.url); } catch { return send(res, 422, {error: 'Invalid url given'}); }
    if (!['http:', 'https:'].includes(parsed.protocol)) return send(res, 422, {error: 'Invalid url given'});
    const flag = (name, fallback) => (p[name] === undefined ? fallback : p[name] === true || p[name] === 'true');
    const hook = {id: state.nextHook++, url: p.url, project_id: project.id, created_at: new Date().toISOString(),
      push_events: flag('push_events', true), pipeline_events: flag('pipeline_events', false), job_events: flag('job_events', false),
      issues_events: flag('issues_events', false), enable_ssl_verification: flag('enable_ssl_verification', true),
      token: p.token ?? ''};
    hooks.push(hook);
    return send(res, 201, hookView(hook));
  }
  if (rest === '/hooks' && req.method === 'GET') return paginate(req, res, url, hooks.map(hookView));
  const m = rest.match(/^\/hooks\/(\d+)$/);
  if (!m) return false;
  const at = hooks.findIndex((h) => h.id === Number(m[1]));
  if (at < 0) return send(res, 404, {message: '404 Not found'});
  if (req.method === 'GET') return send(res, 200, hookView(hooks[at]));
  if (req.method === 'DELETE') { hooks.splice(at, 1); return send(res, 204); }
  return false;
}

function ciRoutes(req, res, url, project, rest, p) {
  let m;
  if ((m = rest.match(/^\/jobs\/(\d+)\/trace$/)) && req.method === 'GET') {
    const trace = state.traces[`${project.id}/${m[1]}`];
    if (trace === undefined) return send(res, 404, {message: '404 Not found'});
    res.writeHead(200, {'content-type': 'text/plain'});
    return res.end(trace);
  }
  if (rest === '/pipelines' && req.method === 'GET') {
    const after = p.updated_after ? Date.parse(p.updated_after) : NaN;
    if (p.updated_after && Number.isNaN(after)) return send(res, 400, {error: 'updated_after is invalid'});
    const found = (state.pipelines[project.id] ?? [])
      .filter((x) => Number.isNaN(after) || Date.parse(x.updated_at) >= after)
      .filter((x) => !p.status || x.status === p.status)
      .sort((a, b) => (p.sort === 'asc' ? a.id - b.id : b.id - a.id));
    return paginate(req, res, url, found);
  }
  return false;
}

function control(res, what, json) {
  if (what === 'reset') { reset(); return send(res, 200, {ok: true}); }
  if (what === 'projects') {
    const project = {id: json.id, name: json.path_with_namespace.split('/').pop(), path_with_namespace: json.path_with_namespace,
      default_branch: json.default_branch ?? 'main', visibility: json.visibility ?? 'private',
      web_url: `https://gitlab.example/${json.path_with_namespace}`};
    state.projects.push(project);
    return send(res, 200, project);
  }
  // {token, projects: [ids] | '*'}
  if (what === 'tokens') { state.tokens[json.token] = {projects: json.projects}; return send(res, 200, {ok: true}); }
  if (what === 'pipelines') { (state.pipelines[json.project_id] ??= []).push(...json.pipelines); return send(res, 200, {ok: true}); }
  if (what === 'traces') { state.traces[`${json.project_id}/${json.job_id}`] = json.text; return send(res, 200, {ok: true}); }
  // {path_prefix, method?, responses: [{status, body?, headers?}]}; rate_limited: {path_prefix, retry_after}
  if (what === 'faults') { state.faults.push({...json, responses: [...json.responses]}); return send(res, 200, {ok: true}); }
  if (what === 'rate_limited') {
    const reset = Math.floor(Date.now() / 1000) + json.retry_after;
    state.faults.push({path_prefix: json.path_prefix, method: json.method, responses: [{status: 429,
      body: {message: 'Retry later'}, headers: {'retry-after': String(json.retry_after), 'ratelimit-limit': '600',
        'ratelimit-observed': '601', 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset),
        'ratelimit-resettime': new Date(reset * 1000).toUTCString()}}]});
    return send(res, 200, {ok: true});
  }
  if (what === 'issues') return send(res, 200, state.issues);
  if (what === 'hooks') return send(res, 200, state.hooks); // with their tokens
  if (what === 'requests') return send(res, 200, state.requests);
  return send(res, 404, {message: 'Not Found'});
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://fake');
  const text = await readBody(req);
  // Route on the raw path: a project path arrives URL-encoded (group%2Fproject) and must stay one segment.
  const path = url.pathname;
  if (path.startsWith('/_control/')) {
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { return send(res, 400, {message: 'bad JSON'}); }
    return control(res, path.slice('/_control/'.length), json);
  }
  const token = tokenOf(req);
  state.requests.push({method: req.method, path, query: url.search, time_ms: Date.now(), token,
    auth_scheme: req.headers['private-token'] ? 'PRIVATE-TOKEN' : (token ? 'Bearer' : ''),
    user_agent: req.headers['user-agent'] || '', content_type: req.headers['content-type'] || '', body: text});

  const fault = takeFault(path, req.method);
  if (fault) return send(res, fault.status, fault.body ?? {message: 'fault'}, fault.headers ?? {});
  if (!path.startsWith('/api/v4/')) return send(res, 404, {message: '404 Not Found'});
  if (!state.tokens[token]) return send(res, 401, {message: '401 Unauthorized'});
  let p;
  try { p = params(req, url, text); } catch { return send(res, 400, {error: 'The request body is not valid JSON'}); }

  const m = path.match(/^\/api\/v4\/projects\/([^/]+)(\/.*)?$/);
  if (!m) return send(res, 404, {message: '404 Not Found'});
  const project = findProject(m[1]);
  if (!visible(token, project)) return send(res, 404, {message: '404 Project Not Found'});
  const rest = m[2] ?? '';
  if (rest === '' && req.method === 'GET') return send(res, 200, project);
  for (const routes of [issueRoutes, hookRoutes, ciRoutes])
    if (routes(req, res, url, project, rest, p) !== false) return;
  return send(res, 404, {message: '404 Not Found'});
});

server.listen(port, '127.0.0.1', () => {
  console.error(JSON.stringify({msg: 'listening', port: server.address().port}));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
