// Measures the dashboard in Debian's Chromium against the whole system (the
// e2e harness's System): how long the runs page takes to first show a page of
// 50 runs, and how long a webhook's run takes from ingest's 202 to its row in
// an open runs page. Beside each, in the same run, its ceiling: the API call
// the page makes, timed alone, and the time until the run is in the API's
// list, polled every 20 ms. Prints one JSON document; progress on stderr.
//   FAULTLINE_TEST_DATABASE_URL=... node tests/bench/dashboard.mjs [deliveries]
import crypto from 'node:crypto';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import {System, poll} from '../e2e/harness.mjs';
import {launch, sizes} from '../dashboard/browser.mjs';

const deliveries = Number(process.argv[2] ?? 100);
const loads = 20;
const require = createRequire(import.meta.url);
const index = JSON.parse(fs.readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'));
const example = index.find((e) => e.name === 'workflow_run').examples.find((p) => p.workflow_run.status === 'in_progress')
  ?? index.find((e) => e.name === 'workflow_run').examples[0];
const say = (text) => process.stderr.write(`==> ${text}\n`);

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const summary = (values) => ({n: values.length, p50_ms: Math.round(quantile(values, 0.5)),
  p95_ms: Math.round(quantile(values, 0.95)), max_ms: Math.round(Math.max(...values))});

function runPayload(id) {
  const payload = structuredClone(example);
  payload.workflow_run.id = id;
  payload.workflow_run.run_number = id % 100000;
  payload.workflow_run.created_at = payload.workflow_run.updated_at = new Date().toISOString();
  return JSON.stringify(payload);
}

async function deliver(system, id) {
  const response = await system.deliver('workflow_run', runPayload(id));
  if (response.status !== 202) throw new Error(`delivery ${id}: ${response.status} ${await response.text()}`);
  return Date.now();
}

const system = new System();
let browser;
try {
  say('Starting the system (PostgreSQL database, broker, ingest, processors, API)');
  await system.start();
  const auth = {authorization: `Bearer ${system.accessToken}`};
  const listed = async (path) => (await fetch(system.apiUrl + path, {headers: auth})).json();

  say('Seeding 50 runs');
  const base = 9100000000 + crypto.randomInt(1000000) * 1000;
  for (let i = 0; i < 50; ++i) await deliver(system, base + i);
  await poll(async () => (await listed('/api/v1/workflow-runs?per_page=50')).total >= 50, '50 runs listed', 60000);

  browser = await launch();
  const context = await browser.newContext({viewport: sizes.desktop});
  const page = await context.newPage();
  await page.goto(`${system.apiUrl}/sign-in`);
  await page.getByLabel('Email').fill(system.adminEmail);
  await page.getByLabel('Password').fill(system.adminPassword);
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.waitForURL((u) => u.pathname === '/');

  say(`The runs page, ${loads} loads (navigation start to 50 rows drawn)`);
  const firstPage = [], apiAlone = [];
  for (let i = 0; i < loads; ++i) {
    await page.goto('about:blank');
    await page.goto(`${system.apiUrl}/runs`);
    await page.waitForFunction(() => document.querySelectorAll('[data-run-id]').length >= 50);
    firstPage.push(await page.evaluate(() => performance.now()));
    const started = performance.now();
    await listed('/api/v1/workflow-runs?per_page=50');
    apiAlone.push(performance.now() - started);
  }

  say(`${deliveries} deliveries, each watched until its row is in the open runs page`);
  await page.goto(`${system.apiUrl}/runs`);
  await page.waitForFunction(() => document.querySelectorAll('[data-run-id]').length >= 50);
  // The page notes when each row first appears, on the wall clock the deliveries use too.
  await page.evaluate(() => {
    window.seen = {};
    new MutationObserver(() => {
      for (const row of document.querySelectorAll('[data-run-id]'))
        window.seen[row.dataset.runId] ??= performance.timeOrigin + performance.now();
    }).observe(document.body, {childList: true, subtree: true});
  });
  const toRow = [], toApi = [];
  for (let i = 0; i < deliveries; ++i) {
    const id = base + 500 + i;
    // A random moment in the page's polling cycle, as a real delivery arrives.
    await new Promise((resolve) => setTimeout(resolve, crypto.randomInt(3000)));
    const accepted = await deliver(system, id);
    await poll(async () => (await listed(`/api/v1/workflow-runs/${id}`)).run_id === id, `run ${id} in the API`, 30000, 20);
    toApi.push(Date.now() - accepted);
    const shown = await poll(() => page.evaluate((key) => window.seen[key], String(id)), `run ${id} on the page`, 30000, 20);
    toRow.push(shown - accepted);
  }

  process.stdout.write(JSON.stringify({
    date: new Date().toISOString(),
    browser: `Chromium ${browser.version()}`,
    runs_page_first_render: {...summary(firstPage), runs: 50,
      ceiling_api_call: summary(apiAlone), note: 'navigation start to 50 rows drawn, signed in (refresh token exchanged first)'},
    webhook_to_row: {...summary(toRow), ceiling_in_api: summary(toApi),
      note: "ingest's 202 to the row in an open runs page; the ceiling is the run in GET /workflow-runs/{id}, polled every 20 ms"},
  }, null, 2) + '\n');
} finally {
  await browser?.close();
  await system.stop();
}
