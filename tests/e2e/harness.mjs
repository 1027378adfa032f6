// Starts the whole system from the built binaries, as a user would: a fresh
// database on the test server, an embedded broker of its own (or, with
// FAULTLINE_TEST_KAFKA=cluster, the real cluster scripts/test started, its
// topics created afresh by faultline-test-broker), then ingest,
// processors and the API as child processes configured through the
// environment. Everything a service writes goes to a log file under the
// scratch directory; the harness reads its JSON lines from there (ports,
// readiness) and shows them when a test fails.
import {spawn, execFile as execFileCallback} from 'node:child_process';
import {promisify} from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import net from 'node:net';
import {test, before, after} from 'node:test';
import {sign} from '@octokit/webhooks-methods';

const execFile = promisify(execFileCallback);

export const binDir = process.env.FAULTLINE_BIN_DIR ?? '/work/main/build/bin';
// The webhook secrets, oldest first: any one of them verifies (a rotation in progress).
export const secrets = ['e2e-secret-old', 'e2e-secret'];
export const ingestMaxBodyBytes = 1048576;
export const hookId = '424242';
export const topics = {run: 'ci.workflow_run.v1', job: 'ci.workflow_job.v1', incident: 'ci.incident.v1',
  gitlabPipeline: 'ci.gitlab_pipeline.v1', gitlabJob: 'ci.gitlab_job.v1', pullRequest: 'ci.pull_request.v1'};
// GitLab: the hooks' tokens, oldest first (any one verifies), and a Standard
// Webhooks signing secret, so every GitLab delivery must be signed too.
export const gitlabTokens = ['e2e-gitlab-token-old', 'e2e-gitlab-token'];
export const gitlabSigningSecret = `whsec_${Buffer.from('e2e GitLab signing key, 32 bytes').toString('base64')}`;
// GitLab's documented hook payloads, as Debian's golang-github-xanzy-go-gitlab-dev ships them (scripts/setup).
export const gitlabExamplesDir = '/usr/share/gocode/src/github.com/xanzy/go-gitlab/testdata/webhooks';

// The Standard Webhooks headers for `body`, computed here with Node's crypto
// (not ingest's code): v1,base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")).
export function standardWebhookHeaders(body, {id, timestamp = Math.floor(Date.now() / 1000), secret = gitlabSigningSecret}) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}`};
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls an async (or sync) check until it returns something truthy.
export async function poll(check, what, timeoutMs = 30000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

// The JSON lines of a log file (anything else, such as the broker's bootstrap line, is skipped).
export function jsonLines(file) {
  if (!fs.existsSync(file)) return [];
  const lines = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // A line still being written.
    }
  }
  return lines;
}

class Service {
  // `name` is a built binary's, unless `command` names what to run.
  constructor(name, args, env, scratch, command = path.join(binDir, name)) {
    this.name = name;
    this.log = path.join(scratch, `${name}.log`);
    const fd = fs.openSync(this.log, 'a');
    // The child writes straight into the file: nothing it logs can block on us.
    this.child = spawn(command, args, {env: {...process.env, ...env}, stdio: ['ignore', fd, fd]});
    fs.closeSync(fd);
    this.exit = null;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = {code, signal};
        resolve(this.exit);
      });
      this.child.on('error', (error) => {
        this.exit = {code: null, signal: null, error: error.message};
        resolve(this.exit);
      });
    });
  }

  get running() {
    return this.exit === null;
  }

  // Waits for the first JSON log line that `match` accepts; fails early if the process exits.
  waitForLine(match, what, timeoutMs = 30000) {
    return poll(() => {
      const line = jsonLines(this.log).find(match);
      if (line) return line;
      if (!this.running) throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before ${what}`);
      return null;
    }, `${this.name}: ${what}`, timeoutMs, 50).catch((e) => {
      e.message += `\n${this.tail()}`;
      throw e;
    });
  }

  async port() {
    const line = await this.waitForLine((l) => l.msg === 'listening' && Number.isInteger(l.port), 'a "listening" line with its port');
    return line.port;
  }

  tail(chars = 6000) {
    const text = fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8') : '';
    const status = this.running ? 'running' : `exited ${JSON.stringify(this.exit)}`;
    return `--- ${this.name} (${status}, ${this.log})\n${text.length > chars ? '...' + text.slice(-chars) : text}`;
  }

  // SIGTERM, then SIGKILL if it has not exited within graceMs. Resolves to how it ended.
  async stop(graceMs = 10000) {
    if (!this.running) return {...this.exit, killed: false, ms: 0};
    const started = Date.now();
    this.child.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(resolve, graceMs, 'timeout'); });
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
      return {...this.exit, killed: true, ms: Date.now() - started};
    }
    return {...this.exit, killed: false, ms: Date.now() - started};
  }
}

// A port nothing listens on now, for a service whose address must be known
// before it starts (an OAuth redirect pointing at the API, say).
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class System {
  // With `github`, the fake GitHub (tests/fakes/fake-github.mjs) plays GitHub
  // and its OAuth app, redirecting back to the API's /repositories (the
  // dashboard's page), and the API and ingest listen on ports chosen first.
  // With `notify`, the fake Slack, webhook and PagerDuty receivers
  // (tests/fakes/fake-notify.mjs) listen on 127.0.0.1, which the services
  // are allowed to reach over plain http for the test.
  constructor({github = false, notify = false} = {}) {
    this.withGitHub = github;
    this.withNotify = notify;
  }

  async start() {
    const admin = process.env.FAULTLINE_TEST_DATABASE_URL;
    if (!admin) throw new Error('FAULTLINE_TEST_DATABASE_URL is not set: run the suite through scripts/test');
    for (const name of ['faultline-devbroker', 'faultline-test-broker', 'faultline-ingest', 'faultline-processors', 'faultline-api']) {
      if (!fs.existsSync(path.join(binDir, name))) throw new Error(`${path.join(binDir, name)} is missing: build first`);
    }
    this.scratch = fs.mkdtempSync(path.join(process.env.FAULTLINE_TEST_SCRATCH ?? '/tmp', 'e2e-'));
    this.admin = admin;

    this.dbName = `e2e_${crypto.randomBytes(6).toString('hex')}`;
    await execFile('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${this.dbName}`]);
    this.dbCreated = true;
    const url = new URL(admin);
    url.pathname = `/${this.dbName}`;
    this.databaseUrl = url.toString();

    this.bootstrap = process.env.FAULTLINE_TEST_KAFKA === 'cluster' ? await this.readyCluster() : await this.startBroker();

    this.env = {
      FAULTLINE_DATABASE_URL: this.databaseUrl,
      FAULTLINE_KAFKA_BROKERS: this.bootstrap,
      FAULTLINE_WEBHOOK_SECRETS: secrets.join(','),
      FAULTLINE_GITLAB_WEBHOOK_TOKENS: gitlabTokens.join(','),
      FAULTLINE_GITLAB_SIGNING_SECRETS: gitlabSigningSecret,
      FAULTLINE_INGEST_ADDR: '127.0.0.1:0',
      FAULTLINE_API_ADDR: '127.0.0.1:0',
      FAULTLINE_PROCESSORS_ADDR: '127.0.0.1:0',
      FAULTLINE_INGEST_MAX_BODY_BYTES: String(ingestMaxBodyBytes),
      // No GitHub here: nothing listens on port 9, so GitHub calls fail fast and are recorded.
      FAULTLINE_GITHUB_API_URL: 'http://127.0.0.1:9',
      FAULTLINE_RECONCILE_INTERVAL: '1h',
      FAULTLINE_LOG_LEVEL: 'info',
      FAULTLINE_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    };
    if (this.withGitHub) await this.startGitHub();
    if (this.withNotify) await this.startReceivers();
    this.ingest = new Service('faultline-ingest', [], this.env, this.scratch);
    this.processors = new Service('faultline-processors', [], this.env, this.scratch);
    // Processors apply the migrations before they say they started; the API starts after them.
    const started = await this.processors.waitForLine((l) => l.msg === 'started', 'a "started" line');
    this.processorsUrl = `http://127.0.0.1:${started.status_port}`;
    this.api = new Service('faultline-api', [], this.env, this.scratch);
    this.ingestUrl = `http://127.0.0.1:${await this.ingest.port()}`;
    this.apiUrl = `http://127.0.0.1:${await this.api.port()}`;
    this.accessToken = await this.signIn();
  }

  async startGitHub() {
    const fake = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fakes', 'fake-github.mjs');
    this.github = new Service('fake-github', [fake, '--port', '0'], {}, this.scratch, process.execPath);
    this.githubUrl = `http://127.0.0.1:${await this.github.port()}`;
    const [apiPort, ingestPort] = [await freePort(), await freePort()];
    Object.assign(this.env, {
      FAULTLINE_API_ADDR: `127.0.0.1:${apiPort}`,
      FAULTLINE_INGEST_ADDR: `127.0.0.1:${ingestPort}`,
      FAULTLINE_GITHUB_API_URL: this.githubUrl,
      FAULTLINE_GITHUB_WEB_URL: this.githubUrl,
      FAULTLINE_GITHUB_OAUTH_CLIENT_ID: 'fake-client',
      FAULTLINE_GITHUB_OAUTH_CLIENT_SECRET: 'fake-secret',
      FAULTLINE_GITHUB_OAUTH_REDIRECT_URL: `http://127.0.0.1:${apiPort}/repositories`,
      FAULTLINE_PUBLIC_URL: `http://127.0.0.1:${ingestPort}`,
      FAULTLINE_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
      FAULTLINE_GITHUB_MUTATION_SPACING: '10ms',
    });
  }

  async startReceivers() {
    const fake = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fakes', 'fake-notify.mjs');
    this.receivers = new Service('fake-notify', [fake, '--port', '0'], {}, this.scratch, process.execPath);
    this.receiversUrl = `http://127.0.0.1:${await this.receivers.port()}`;
    Object.assign(this.env, {
      FAULTLINE_NOTIFY_ALLOW_HTTP: '1',
      FAULTLINE_NOTIFY_ALLOW_PRIVATE: '1',
      FAULTLINE_NOTIFY_SLACK_SPACING: '100ms',
      FAULTLINE_ENCRYPTION_KEY: this.env.FAULTLINE_ENCRYPTION_KEY ?? crypto.randomBytes(32).toString('hex'),
    });
  }

  // Sets or reads the fake receivers' state (/_control/WHAT).
  async receiversControl(what, body) {
    const response = await fetch(`${this.receiversUrl}/_control/${what}`, body === undefined ? {} : {
      method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
    if (response.status !== 200) throw new Error(`fake receivers ${what}: ${response.status}`);
    return response.json();
  }

  // POSTs a webhook to ingest as GitHub does. `headers` entries set to undefined are left out.
  // One statement on the system's database, as psql runs it; its output, unaligned.
  async sql(statement) {
    const {stdout} = await execFile('psql', [this.databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', statement]);
    return stdout.trim();
  }

  async deliver(event, body, {secret = secrets[1], delivery = crypto.randomUUID(), headers = {}} = {}) {
    const all = {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-github-hook-id': hookId,
      // @octokit/webhooks-methods refuses an empty payload; that one case is signed by hand.
      'x-hub-signature-256': body.length ? await sign(secret, body)
        : `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`,
      'user-agent': 'GitHub-Hookshot/e2e',
      ...headers,
    };
    for (const [name, value] of Object.entries(all)) if (value === undefined) delete all[name];
    return fetch(`${this.ingestUrl}/webhooks/github`, {method: 'POST', headers: all, body});
  }

  // POSTs a webhook to ingest as GitLab does, with its token, Idempotency-Key
  // `key` and a Standard Webhooks signature (webhook-id `key` too).
  // `headers` entries set to undefined are left out.
  async deliverGitLab(event, body, {token = gitlabTokens[1], key = crypto.randomUUID(), timestamp, secret, headers = {}} = {}) {
    const all = {
      'content-type': 'application/json',
      'x-gitlab-event': event,
      'x-gitlab-token': token,
      'idempotency-key': key,
      'x-gitlab-event-uuid': crypto.randomUUID(),
      'x-gitlab-instance': 'https://gitlab.example.com',
      'user-agent': 'GitLab/18.0.0',
      ...standardWebhookHeaders(body, {id: key, timestamp, secret}),
      ...headers,
    };
    for (const [name, value] of Object.entries(all)) if (value === undefined) delete all[name];
    return fetch(`${this.ingestUrl}/webhooks/gitlab`, {method: 'POST', headers: all, body});
  }

  // Seeds or reads the fake GitHub's state (/_control/WHAT).
  async githubControl(what, body) {
    const response = await fetch(`${this.githubUrl}/_control/${what}`, body === undefined ? {} : {
      method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
    if (response.status !== 200) throw new Error(`fake GitHub ${what}: ${response.status}`);
    return response.json();
  }

  // faultline-devbroker as a child process; its bootstrap list.
  async startBroker() {
    const bootstrapFile = path.join(this.scratch, 'bootstrap');
    this.broker = new Service('faultline-devbroker', ['--bootstrap-file', bootstrapFile], {}, this.scratch);
    return poll(() => {
      if (!this.broker.running) throw new Error(`the broker exited: ${JSON.stringify(this.broker.exit)}\n${this.broker.tail()}`);
      const text = fs.existsSync(bootstrapFile) ? fs.readFileSync(bootstrapFile, 'utf8') : '';
      // Written in one go, but only trust a complete first line.
      return text.includes('\n') ? text.split('\n')[0].trim() : null;
    }, 'the broker bootstrap file', 20000, 50);
  }

  // The real cluster's topics deleted and created afresh; its bootstrap list.
  async readyCluster() {
    const {stdout} = await execFile(path.join(binDir, 'faultline-test-broker'), [], {encoding: 'utf8', timeout: 120000});
    return stdout.trim();
  }

  // Creates the first admin the way an operator does (create-user, password on
  // stdin) and signs in through the API: the access token for every API call.
  async signIn() {
    const email = 'ops@example.com', password = crypto.randomBytes(18).toString('base64');
    this.adminEmail = email;
    this.adminPassword = password;
    await new Promise((resolve, reject) => {
      const child = spawn(path.join(binDir, 'faultline-api'),
        ['create-user', '--email', email, '--role', 'admin', '--password-stdin'],
        {env: {...process.env, ...this.env}, stdio: ['pipe', 'ignore', 'pipe']});
      let stderr = '';
      child.stderr.on('data', (chunk) => { stderr += chunk; });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`create-user exited ${code}: ${stderr}`))));
      child.stdin.end(password + '\n');
    });
    const response = await fetch(`${this.apiUrl}/api/v1/auth/login`, {
      method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({email, password})});
    const text = await response.text();
    if (response.status !== 200) throw new Error(`login answered ${response.status}: ${text}`);
    return JSON.parse(text).access_token;
  }

  get services() {
    return [this.ingest, this.processors, this.api].filter(Boolean);
  }

  logs() {
    return [this.broker, this.github, this.receivers, ...this.services].filter(Boolean).map((s) => s.tail()).join('\n');
  }

  // Every message of a topic from the beginning, read with kcat: {key, headers, value}.
  async topic(name) {
    const {stdout} = await execFile('kcat', ['-b', this.bootstrap, '-C', '-t', name, '-o', 'beginning', '-e', '-q',
      '-f', '%k\t%h\t%s\n'], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 30000});
    return stdout.split('\n').filter(Boolean).map((line) => {
      const [key, headers, ...value] = line.split('\t');
      return {key, headers: parseHeaders(headers), value: value.join('\t')};
    });
  }

  // The header lines of every message of a topic (kcat -f '%h\n'): "name=value,name=value".
  async headerLines(name) {
    const {stdout} = await execFile('kcat', ['-b', this.bootstrap, '-C', '-t', name, '-o', 'beginning', '-e', '-q',
      '-f', '%h\n'], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 30000});
    return stdout.split('\n').filter(Boolean);
  }

  // How many messages on the webhook topics carry each of these ce_ids: {id: count}.
  async countCeIds(ids) {
    const counts = Object.fromEntries(ids.map((id) => [id, 0]));
    const lines = (await Promise.all(Object.values(topics).map((name) => this.headerLines(name)))).flat();
    for (const line of lines) {
      const id = parseHeaders(line).ce_id;
      if (id in counts) counts[id] += 1;
    }
    return counts;
  }

  async countCeId(id) {
    return (await this.countCeIds([id]))[id];
  }

  // SIGTERM to the services (then SIGKILL after the grace period); returns how each ended.
  async stopServices(graceMs = 10000) {
    const ends = await Promise.all(this.services.map(async (s) => [s.name, await s.stop(graceMs)]));
    return Object.fromEntries(ends);
  }

  async stop() {
    const errors = [];
    await this.stopServices().catch((e) => errors.push(e));
    if (this.broker) await this.broker.stop(5000).catch((e) => errors.push(e));
    if (this.github) await this.github.stop(5000).catch((e) => errors.push(e));
    if (this.receivers) await this.receivers.stop(5000).catch((e) => errors.push(e));
    if (this.dbCreated) {
      await execFile('psql', [this.admin, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`])
        .catch((e) => errors.push(e));
    }
    if (errors.length) throw errors[0];
  }
}

export function parseHeaders(text) {
  const headers = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) headers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return headers;
}

// A test whose failure message carries the tail of every service's log.
// Starts `system` (then `then`, if given) before the file's tests and stops it
// after them; a start that fails says what the services logged.
export function runSystem(system, then = async () => {}) {
  before(async () => {
    try {
      await system.start();
      await then();
    } catch (e) {
      e.message += `\n\nservice logs:\n${system.logs()}`;
      throw e;
    }
  }, {timeout: 90000});
  after(async () => { await system.stop(); }, {timeout: 60000});
}

export function systemTest(system) {
  return (name, options, fn) => test(name, typeof options === 'function' ? {} : options, async (t) => {
    if (typeof options === 'function') fn = options;
    try {
      await fn(t);
    } catch (e) {
      const logs = system.logs();
      if (e && typeof e === 'object') {
        try {
          e.message = `${e.message}\n\nservice logs:\n${logs}`;
        } catch {
          console.error(logs);
        }
      }
      throw e;
    }
  });
}

// Asserts an RFC 9457 problem: its status, media type and a body that is JSON naming the same status.
export async function readProblem(response, status, assert, what) {
  const text = await response.text();
  assert.equal(response.status, status, `${what}: status (body: ${text.slice(0, 500)})`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json\b/,
    `${what}: content-type ${response.headers.get('content-type')} (body: ${text.slice(0, 500)})`);
  let body;
  assert.doesNotThrow(() => { body = JSON.parse(text); }, `${what}: body is JSON: ${text.slice(0, 500)}`);
  assert.equal(body.status, status, `${what}: "status" member`);
  assert.ok([body.title, body.detail].some((v) => typeof v === 'string' && v.length > 0), `${what}: says what is wrong: ${text}`);
  // Nothing of the implementation leaks out.
  assert.doesNotMatch(text, /std::|what\(\)|exception|soci|ERROR:|SQLSTATE|pqxx|rapidjson|Pistache/i, `${what}: ${text}`);
  return body;
}
