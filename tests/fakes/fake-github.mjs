// A fake of the part of GitHub's REST API that Faultline uses, for tests.
// State lives in memory; /_control/* seeds it, injects faults and shows what
// was asked. Usage: node fake-github.mjs [--port N]   (0: any free port)
import http from 'node:http';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

let state;
function reset() {
  state = {runs: {}, issues: {}, deliveries: {}, redeliveries: [], requests: [], faults: [], nextIssue: 1};
}
reset();

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

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
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
    if (what === 'issues') return send(res, 200, state.issues);
    if (what === 'requests') return send(res, 200, state.requests);
    if (what === 'redeliveries') return send(res, 200, state.redeliveries);
    return send(res, 404, {message: 'Not Found'});
  }

  const auth = req.headers.authorization || '';
  state.requests.push({
    method: req.method, path, query: url.search, time_ms: Date.now(),
    token: auth.startsWith('Bearer ') ? auth.slice(7) : '',
    accept: req.headers.accept || '', api_version: req.headers['x-github-api-version'] || '',
    user_agent: req.headers['user-agent'] || '', body: text,
  });
  if (req.headers.accept !== 'application/vnd.github+json' || req.headers['x-github-api-version'] !== '2022-11-28')
    return send(res, 400, {message: 'Accept and X-GitHub-Api-Version headers are required'});
  if (!req.headers['user-agent']) return send(res, 403, {message: 'User-Agent required'});
  if (json === undefined) return send(res, 400, {message: 'Problems parsing JSON'});

  const fault = state.faults.find((f) => f.responses.length && path.startsWith(f.path_prefix) && (!f.method || f.method === req.method));
  if (fault) {
    const r = fault.responses.shift();
    return send(res, r.status, r.body ?? {message: 'fault'}, r.headers ?? {});
  }

  let m;
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
