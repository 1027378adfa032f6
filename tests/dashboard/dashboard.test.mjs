// The dashboard in a real browser (Debian's Chromium through playwright-core)
// against the whole system built from this tree: PostgreSQL, a broker, ingest,
// processors and the API serving the embedded dashboard, with the fake GitHub
// as GitHub and its OAuth app. The tests run in order, as one operator's
// morning: sign in, connect a repository, watch a failing run arrive, open its
// incident, acknowledge it, see the public status, sign out. Every page is
// then shot at 1280×800 and 390×844 and scanned with axe-core. Run through
// scripts/test (CTest "dashboard"), or by hand:
//   cd tests && FAULTLINE_TEST_DATABASE_URL=postgresql://... FAULTLINE_TEST_SCRATCH=/tmp/x \
//     FAULTLINE_BIN_DIR=../build/bin node --test dashboard/
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {System, poll, systemTest, gitlabExamplesDir} from '../e2e/harness.mjs';
import {launch, watchedPage, seriousViolations, screenshot, sizes} from './browser.mjs';
import {base32Decode, totp} from './totp.mjs';

const require = createRequire(import.meta.url);
const index = JSON.parse(fs.readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'));
const completedRun = index.find((e) => e.name === 'workflow_run').examples
  .find((p) => p.workflow_run.status === 'completed');

const repository = {id: 4242001, full_name: 'octo-org/widgets', name: 'widgets', owner: {login: 'octo-org'},
  private: false, permissions: {admin: true}};
const runId = 8800001;
const jobId = 8800101;
const failingLine = 'Expected: balance == 100, actual: 90';

const system = new System({github: true, notify: true});
const systemCase = systemTest(system);
let browser, context, page;

before(async () => {
  try {
    await system.start();
    await system.githubControl('users', {login: 'octocat', id: 583231, repos: [repository]});
    await system.githubControl('jobs', {repo: repository.full_name, run_id: runId, jobs: [{
      id: jobId, run_id: runId, name: 'test (ubuntu-latest)', status: 'completed', conclusion: 'failure',
      html_url: `https://github.com/${repository.full_name}/actions/runs/${runId}/job/${jobId}`,
      steps: [{name: 'Set up job', conclusion: 'success', number: 1},
        {name: 'Build and test', conclusion: 'failure', number: 2, started_at: '2026-11-23T10:00:00Z'}]}]});
    const ts = '2026-11-23T10:00:01.1234567Z ';
    await system.githubControl('logs', {job_id: jobId, text: [
      '##[group]Run make test', 'make test', '##[endgroup]', '[ RUN      ] Ledger.BalancesAfterRefund',
      'ledger_test.cpp:88: Failure', failingLine, '[  FAILED  ] Ledger.BalancesAfterRefund (3 ms)',
      '##[error]Process completed with exit code 2.'].map((l) => ts + l).join('\n') + '\n'});
    browser = await launch();
    context = await browser.newContext({viewport: sizes.desktop});
    page = await watchedPage(context);
  } catch (e) {
    e.message += `\n\nservice logs:\n${system.logs()}`;
    throw e;
  }
}, {timeout: 120000});

after(async () => {
  await browser?.close();
  await system.stop();
}, {timeout: 60000});

const url = (path) => system.apiUrl + path;

function noProblems(p = page) {
  assert.deepEqual(p.problems, [], 'no console error, uncaught exception or CSP violation');
}

systemCase('the server sends the dashboard with a strict policy, hashed assets cached for a year', async () => {
  const response = await fetch(url('/incidents/1'));
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/html/);
  assert.equal(response.headers.get('cache-control'), 'no-cache');
  const policy = response.headers.get('content-security-policy');
  assert.match(policy, /script-src 'self';/);
  assert.doesNotMatch(policy, /unsafe/);
  const html = await response.text();
  assert.doesNotMatch(html, /<script>(?!<\/script>)|<style|style=/, 'no inline script or style');
  const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
  assert.ok(script, `a hashed script in ${html}`);
  const asset = await fetch(url(script));
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(asset.headers.get('content-type'), /^text\/javascript/);
  const again = await fetch(url('/incidents/1'), {headers: {'if-none-match': response.headers.get('etag')}});
  assert.equal(again.status, 304);
  assert.equal((await fetch(url('/no-such-page'))).status, 404);
});

systemCase('signs in, and a reload or a second tab stays signed in', async () => {
  await page.goto(url('/runs'));
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel('Email').fill(system.adminEmail);
  await page.getByLabel('Password').fill(system.adminPassword);
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.waitForURL((u) => u.pathname === '/runs');
  await page.getByRole('heading', {level: 1}).waitFor();
  await page.reload();
  await page.getByRole('button', {name: 'Sign out'}).waitFor();
  assert.equal(new URL(page.url()).pathname, '/runs');
  const second = await watchedPage(context);
  await second.goto(url('/incidents'));
  await second.getByRole('button', {name: 'Sign out'}).waitFor();
  assert.equal(new URL(second.url()).pathname, '/incidents');
  noProblems(second);
  await second.close();
  noProblems();
});

systemCase('connects a repository through GitHub\'s OAuth flow', async () => {
  await page.goto(url('/repositories'));
  await page.getByRole('button', {name: 'Connect GitHub'}).click();
  // To the fake GitHub, which approves at once and sends the browser back.
  await page.waitForURL((u) => u.pathname === '/repositories' && !u.searchParams.has('code'), {timeout: 15000});
  const row = page.getByRole('row').filter({hasText: repository.full_name});
  await row.getByRole('button', {name: /^Connect/}).click();
  await page.getByText(repository.full_name).first().waitFor();
  const hooks = await poll(async () => {
    const all = await system.githubControl('hooks');
    return all[repository.full_name]?.length ? all[repository.full_name] : null;
  }, 'the webhook made on GitHub');
  assert.equal(hooks.length, 1);
  noProblems();
});

// The page polls every 3 s, so it shows what the API has within 5 s. How long the
// pipeline takes to get the run to the API is not the page's to answer for (a
// rebalance on a loaded machine can add seconds), so that wait is separate.
systemCase('a failing run appears in the open runs page within 5 s of the API having it, without a reload', async () => {
  await page.goto(url('/runs'));
  await page.getByRole('heading', {level: 1}).waitFor();
  await page.evaluate(() => { window.stillTheSamePage = true; });
  const payload = structuredClone(completedRun);
  payload.workflow_run.id = runId;
  payload.workflow_run.conclusion = 'failure';
  payload.workflow_run.head_branch = 'main';
  // Now, so the overview's trends count it.
  payload.workflow_run.created_at = payload.workflow_run.run_started_at = new Date(Date.now() - 300000).toISOString();
  payload.workflow_run.updated_at = new Date().toISOString();
  payload.repository = {...payload.repository, id: repository.id, full_name: repository.full_name, name: repository.name};
  payload.workflow_run.repository = payload.repository;
  const response = await system.deliver('workflow_run', JSON.stringify(payload));
  assert.equal(response.status, 202, await response.text());
  await poll(async () => (await fetch(url(`/api/v1/workflow-runs/${runId}`), {
    headers: {authorization: `Bearer ${system.accessToken}`}})).status === 200, 'the run in the API', 30000, 100);
  await page.locator(`[data-run-id="${runId}"]`).waitFor({timeout: 5000});
  assert.equal(await page.evaluate(() => window.stillTheSamePage), true, 'the page was not reloaded');
  noProblems();
});

systemCase('the incident opens and its page shows the failure excerpt; Acknowledge works', async () => {
  await page.goto(url('/incidents'));
  const row = page.locator('[data-incident-id]').first();
  await row.waitFor({timeout: 30000});
  const id = await row.getAttribute('data-incident-id');
  await page.goto(url(`/incidents/${id}`));
  // The issues role reads the job's log from GitHub a moment after the incident opens.
  await poll(async () => {
    await page.reload();
    return (await page.locator('[data-testid="failure-excerpt"]').textContent({timeout: 5000}))?.includes(failingLine);
  }, 'the failure excerpt on the incident page', 40000, 1000);
  await page.getByRole('button', {name: 'Acknowledge'}).click();
  await page.getByText(/acknowledged/i).first().waitFor();
  const incident = await (await fetch(url(`/api/v1/incidents/${id}`), {
    headers: {authorization: `Bearer ${system.accessToken}`}})).json();
  assert.equal(incident.state, 'acknowledged');

  // A fix proposal the fixer role opened (tests/integration/fix_proposals_test.cpp
  // makes one end to end) is linked beside the issue.
  await system.sql(`INSERT INTO fix_proposals (incident_id, repository_id, attempt, branch, state,
      requested_by, run_id, pull_number, pull_url, opened_at)
    VALUES (${Number(id)}, ${repository.id}, 1, 'faultline/fix-${Number(id)}-1', 'opened', 'automatic',
      ${runId}, 17, 'https://github.com/${repository.full_name}/pull/17', now())`);
  await page.reload();
  const proposal = page.getByTestId('fix-proposal');
  await proposal.waitFor({timeout: 10000});
  assert.equal(await proposal.textContent(), 'Proposed fix: pull request #17 (draft)');
  assert.equal(await proposal.getAttribute('href'), `https://github.com/${repository.full_name}/pull/17`);
  noProblems();
});

systemCase('the public status page shows the repository degraded, without signing in', async () => {
  const anonymous = await browser.newContext({viewport: sizes.desktop});
  const wall = await watchedPage(anonymous);
  await wall.goto(url('/status'));
  const entry = wall.locator(`[data-repository="${repository.full_name}"]`);
  await entry.waitFor();
  assert.match(await entry.textContent(), /degraded/i);
  noProblems(wall);
  await anonymous.close();
});

systemCase('adds a Slack channel and sends it a test, routes changes to it by a rule, and deletes a channel', async () => {
  await page.goto(url('/notifications'));
  await page.getByText('No channel yet').waitFor();
  await page.getByLabel('Kind', {exact: true}).selectOption('slack');
  await page.getByLabel('Name', {exact: true}).fill('ci-alerts');
  await page.getByLabel('Incoming webhook URL (secret)').fill(`${system.receiversUrl}/slack/T0/B0/dashboard`);
  await page.getByRole('button', {name: 'Add channel'}).click();
  const row = page.locator('[data-channel-id]').filter({hasText: 'ci-alerts'});
  await row.waitFor();
  assert.equal(await page.getByLabel('Incoming webhook URL (secret)').inputValue(), '', 'the secret is not kept in the form');
  assert.doesNotMatch(await row.textContent(), /dashboard/, 'Slack\'s URL is its secret: never shown');

  await row.getByRole('button', {name: 'Send a test message to ci-alerts'}).click();
  assert.equal(await row.getByTestId('test-result').textContent(), 'Test: sent');
  const slack = (await system.receiversControl('received')).filter((r) => r.path === '/slack/T0/B0/dashboard');
  assert.equal(slack.length, 1, JSON.stringify(slack));

  await page.getByText('No rule yet').waitFor();
  await page.getByLabel('Repository (owner/name, optional)').fill(repository.full_name);
  await page.getByLabel('Category', {exact: true}).selectOption('code/test');
  await page.getByRole('button', {name: 'Add rule'}).click();
  const rule = page.locator('[data-rule-id]');
  await rule.waitFor();
  assert.match(await rule.textContent(), /ci-alerts.*opened, resolved.*octo-org\/widgets, code\/test/);
  const rules = await (await fetch(url('/api/v1/notification-rules'), {headers: {authorization: `Bearer ${system.accessToken}`}})).json();
  assert.deepEqual(rules.items.map((r) => [r.changes, r.repository, r.category]), [[['opened', 'resolved'], repository.full_name, 'code/test']]);

  // A second channel, deleted after the page asks to confirm.
  await page.getByLabel('Kind', {exact: true}).selectOption('webhook');
  await page.getByLabel('Name', {exact: true}).fill('ops-hook');
  await page.getByLabel('URL', {exact: true}).fill(`${system.receiversUrl}/webhook/ops`);
  await page.getByLabel('Signing secret (whsec_…)').fill('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  await page.getByRole('button', {name: 'Add channel'}).click();
  const hook = page.locator('[data-channel-id]').filter({hasText: 'ops-hook'});
  await hook.waitFor();
  page.once('dialog', (dialog) => void dialog.accept());
  await hook.getByRole('button', {name: 'Delete ops-hook'}).click();
  await hook.waitFor({state: 'detached'});
  assert.equal(await page.locator('[data-channel-id]').count(), 1);
  noProblems();
});

const pages = ['/', '/runs', `/runs/${runId}`, '/incidents', '/incidents/1', '/analytics', '/repositories', '/status',
  '/sessions', '/two-factor', '/notifications'];

systemCase('every page at both sizes: a screenshot, no serious axe finding, no horizontal scroll', async () => {
  const findings = [];
  for (const [size, viewport] of Object.entries(sizes)) {
    await page.setViewportSize(viewport);
    for (const path of pages) {
      await page.goto(url(path));
      await page.getByRole('heading', {level: 1}).waitFor();
      await page.waitForLoadState('networkidle');
      await screenshot(page, `${path === '/' ? 'overview' : path.slice(1).replaceAll('/', '-')}-${size}`);
      findings.push(...(await seriousViolations(page)).map((f) => `${path} at ${size}: ${f}`));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 0) findings.push(`${path} at ${size}: scrolls sideways by ${overflow} px`);
    }
  }
  await page.setViewportSize(sizes.desktop);
  assert.deepEqual(findings, []);
  noProblems();
});

test('the test authenticator computes RFC 6238\'s own vector', () => {
  // Appendix B, SHA-1, T = 59 s: 94287082 in eight digits.
  assert.equal(totp(Buffer.from('12345678901234567890'), 59, 8), '94287082');
  assert.equal(base32Decode('GEZDGNBVGY3TQOJQ').toString(), '1234567890');
});

async function signInWithPassword() {
  await page.getByLabel('Email').fill(system.adminEmail);
  await page.getByLabel('Password').fill(system.adminPassword);
  await page.getByRole('button', {name: 'Sign in'}).click();
}

systemCase('turns on two-factor sign-in, which then asks for a code that works once, and turns it off', async () => {
  await page.goto(url('/two-factor'));
  await page.getByText('Two-factor sign-in is off').waitFor();
  await page.getByRole('button', {name: 'Turn on two-factor sign-in'}).click();
  const secret = base32Decode(await page.getByTestId('two-factor-secret').textContent());
  const recovery = await page.getByTestId('recovery-codes').locator('li').allTextContents();
  assert.equal(recovery.length, 10);
  await page.getByRole('img', {name: 'QR code of the two-factor secret'}).waitFor();
  await screenshot(page, 'two-factor-enrolment-desktop');
  findingsOrFail(await seriousViolations(page));
  const used = totp(secret);
  await page.getByLabel('Enter the code the app shows now').fill(used);
  await page.getByRole('button', {name: 'Turn on', exact: true}).click();
  await page.getByText('Two-factor sign-in is on. 10 of 10 recovery codes are left.').waitFor();

  // Signing in now stops at the second step; the code that confirmed the enrolment is spent.
  await page.getByRole('button', {name: 'Sign out'}).click();
  await page.waitForURL(/\/sign-in/);
  await signInWithPassword();
  await page.getByRole('heading', {name: 'Two-factor sign-in', level: 1}).waitFor();
  assert.equal(await page.getByRole('button', {name: 'Sign out'}).count(), 0, 'not signed in by the password alone');
  await screenshot(page, 'sign-in-second-factor-desktop');
  findingsOrFail(await seriousViolations(page));
  await page.getByLabel('Authentication code').fill(used);
  await page.getByRole('button', {name: 'Verify'}).click();
  assert.match(await page.getByRole('alert').textContent(), /already used|wrong/);
  assert.equal(await page.getByRole('button', {name: 'Sign out'}).count(), 0, 'a spent code does not sign in');

  await page.getByRole('button', {name: 'Use a recovery code instead'}).click();
  await page.getByLabel('Recovery code').fill(recovery[0]);
  await page.getByRole('button', {name: 'Verify'}).click();
  await page.getByRole('button', {name: 'Sign out'}).waitFor();

  // Turning it off needs a fresh factor: the recovery code just used is refused, another is not.
  await page.goto(url('/two-factor'));
  await page.getByText('9 of 10 recovery codes are left').waitFor();
  await page.getByLabel('or a recovery code').fill(recovery[0]);
  await page.getByRole('button', {name: 'Turn two-factor sign-in off'}).click();
  assert.match(await page.getByRole('alert').textContent(), /recovery code is wrong or was used/);
  await page.getByLabel('or a recovery code').fill(recovery[1]);
  await page.getByRole('button', {name: 'Turn two-factor sign-in off'}).click();
  await page.getByText('Two-factor sign-in is off').waitFor();

  await page.getByRole('button', {name: 'Sign out'}).click();
  await page.waitForURL(/\/sign-in/);
  await signInWithPassword();
  await page.getByRole('button', {name: 'Sign out'}).waitFor();
  // Chromium logs each refusal this test asked for; those three, and nothing else.
  const refusals = /Failed to load resource: the server responded with a status of (401|422)/;
  assert.deepEqual(page.problems.map((p) => p.match(refusals)?.[1] ?? p), ['401', '401', '422'],
    'the password step, the spent code and the spent recovery code');
  page.problems.length = 0;
});

systemCase('a GitLab pipeline is marked GitLab\'s beside GitHub\'s runs and links to its own page, not to GitHub\'s run of that number', async () => {
  // GitHub's run 8800001 is on the page already; GitLab's pipeline of the same number is another run.
  const hook = JSON.parse(fs.readFileSync(path.join(gitlabExamplesDir, 'pipeline.json'), 'utf8'));
  Object.assign(hook.object_attributes, {id: runId, status: 'failed', name: 'nightly', finished_at: '2026-11-23 10:09:00 UTC',
    url: `${hook.project.web_url}/-/pipelines/${runId}`});
  const response = await system.deliverGitLab('Pipeline Hook', JSON.stringify(hook));
  assert.equal(response.status, 202, await response.text());
  await page.goto(url('/runs'));
  const row = page.locator(`[data-run-id="${runId}"][data-provider="gitlab"]`);
  await row.waitFor({timeout: 30000});
  assert.equal(await row.locator('[data-provider="gitlab"]').textContent(), 'GitLab');
  assert.equal(await page.locator(`[data-run-id="${runId}"][data-provider="github"] [data-provider="github"]`).textContent(), 'GitHub');
  await row.getByRole('link', {name: 'nightly'}).click();
  await page.waitForURL(`**/runs/${runId}?provider=gitlab`);
  await page.getByRole('heading', {level: 1, name: `nightly #${runId}`}).waitFor();
  await page.getByRole('link', {name: 'Open the pipeline on GitLab'}).waitFor();
  assert.equal(await page.getByRole('link', {name: 'Open the pipeline on GitLab'}).getAttribute('href'), hook.object_attributes.url);
  // GitLab's pipelines are not re-run through GitHub.
  assert.equal(await page.getByRole('button', {name: /re-run/i}).count(), 0);
  noProblems();
});

systemCase('signs out: back to sign-in, and a reload stays signed out', async () => {
  await page.goto(url('/'));
  await page.getByRole('button', {name: 'Sign out'}).click();
  await page.waitForURL(/\/sign-in/);
  await screenshot(page, 'sign-in-desktop');
  findingsOrFail(await seriousViolations(page));
  await page.goto(url('/runs'));
  await page.waitForURL(/\/sign-in/);
  noProblems();
});

function findingsOrFail(findings) {
  assert.deepEqual(findings, [], 'no serious or critical axe finding');
}

test('the browser suite ran against Chromium', () => {
  assert.ok(browser?.version(), 'a browser was launched');
});
