// Starts the whole system from the built binaries, as a user would: a fresh
// database on the test server, an embedded broker, ingest, processors, API.
import {spawn, execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const bin = process.env.FAULTLINE_BIN_DIR ?? path.resolve('build/bin');
const scratch = fs.mkdtempSync(path.join(process.env.FAULTLINE_TEST_SCRATCH ?? '/tmp', 'e2e-'));
export const secrets = ['e2e-secret-old', 'e2e-secret'];

function waitFor(check, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const value = check();
      if (value) return resolve(value);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

function start(name, args, env) {
  const log = path.join(scratch, `${name}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(path.join(bin, name), args, {env: {...process.env, ...env}, stdio: ['ignore', out, out]});
  return {child, log, name};
}

function listeningPort(service) {
  return waitFor(() => {
    const text = fs.existsSync(service.log) ? fs.readFileSync(service.log, 'utf8') : '';
    const line = text.split('\n').find((l) => l.includes('"msg":"listening"'));
    return line ? JSON.parse(line).port : null;
  }, `${service.name} to listen`);
}

export class System {
  async start() {
    const admin = process.env.FAULTLINE_TEST_DATABASE_URL;
    if (!admin) throw new Error('FAULTLINE_TEST_DATABASE_URL is not set: run through scripts/test');
    this.admin = admin;
    this.dbName = `e2e_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
    execFileSync('psql', [admin, '-q', '-c', `CREATE DATABASE ${this.dbName}`]);
    this.databaseUrl = admin.replace(/\/[^/?]*(\?|$)/, `/${this.dbName}$1`);

    const bootstrapFile = path.join(scratch, 'bootstrap');
    this.broker = start('faultline-devbroker', ['--bootstrap-file', bootstrapFile], {});
    this.bootstrap = (await waitFor(() => fs.existsSync(bootstrapFile) && fs.readFileSync(bootstrapFile, 'utf8').trim(), 'the broker'));

    const env = {
      FAULTLINE_DATABASE_URL: this.databaseUrl,
      FAULTLINE_KAFKA_BROKERS: this.bootstrap,
      FAULTLINE_WEBHOOK_SECRETS: secrets.join(','),
      FAULTLINE_INGEST_ADDR: '127.0.0.1:0',
      FAULTLINE_API_ADDR: '127.0.0.1:0',
      FAULTLINE_PROCESSORS_ADDR: '127.0.0.1:0',
      FAULTLINE_INGEST_MAX_BODY_BYTES: '1048576',
      FAULTLINE_GITHUB_API_URL: 'http://127.0.0.1:9',  // no GitHub here: issues are skipped and recorded
      FAULTLINE_RECONCILE_INTERVAL: '1h',
    };
    this.ingest = start('faultline-ingest', [], env);
    this.processors = start('faultline-processors', [], env);
    this.api = start('faultline-api', [], env);
    this.ingestUrl = `http://127.0.0.1:${await listeningPort(this.ingest)}`;
    this.apiUrl = `http://127.0.0.1:${await listeningPort(this.api)}`;
  }

  logs() {
    return [this.ingest, this.processors, this.api].filter(Boolean)
      .map((s) => `--- ${s.name}\n${fs.existsSync(s.log) ? fs.readFileSync(s.log, 'utf8').slice(-4000) : ''}`).join('\n');
  }

  // Every message of a topic, read from the beginning with kcat: "key\theaders\tvalue".
  topic(name) {
    const out = execFileSync('kcat', ['-b', this.bootstrap, '-C', '-t', name, '-o', 'beginning', '-e', '-q',
      '-f', '%k\t%h\t%s\n'], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
    return out.split('\n').filter(Boolean).map((line) => {
      const [key, headers, ...value] = line.split('\t');
      return {key, headers: Object.fromEntries(headers.split(',').map((h) => h.split('='))), value: value.join('\t')};
    });
  }

  async stop() {
    for (const s of [this.api, this.processors, this.ingest, this.broker].filter(Boolean)) s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const s of [this.api, this.processors, this.ingest, this.broker].filter(Boolean)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    if (this.dbName) execFileSync('psql', [this.admin, '-q', '-c', `DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`]);
  }
}

export async function poll(check, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
