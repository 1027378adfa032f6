// Debian's Chromium driven by playwright-core (no downloaded browser on these
// machines), with what every dashboard test checks on each page: no console
// error, no uncaught exception, no Content-Security-Policy violation, and no
// serious or critical axe-core finding.
import fs from 'node:fs';
import path from 'node:path';
import {chromium} from 'playwright-core';
import {AxeBuilder} from '@axe-core/playwright';

export const sizes = {desktop: {width: 1280, height: 800}, phone: {width: 390, height: 844}};

// Where screenshots go; scripts/test keeps them in build/test-artifacts/dashboard.
export const artifacts = process.env.FAULTLINE_TEST_ARTIFACTS ??
  path.join(process.env.FAULTLINE_BIN_DIR ?? 'build/bin', '..', 'test-artifacts', 'dashboard');

export async function launch() {
  return chromium.launch({
    executablePath: process.env.FAULTLINE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // Without the background-networking flags Chromium keeps dialling Google's
    // hosts, which this machine's closed network refuses.
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// A page whose console errors, uncaught exceptions and CSP reports are kept in `problems`.
export async function watchedPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console error: ${message.text()} (${page.url()})`);
  });
  page.on('pageerror', (error) => page.problems.push(`uncaught: ${error.message} (${page.url()})`));
  // The browser reports a blocked resource to the page too: make it visible.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return page;
}

// axe-core's findings of impact serious or critical, one line each.
export async function seriousViolations(page) {
  const results = await new AxeBuilder({page}).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
}

export async function screenshot(page, name) {
  fs.mkdirSync(artifacts, {recursive: true});
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({path: file, fullPage: true});
  return file;
}
