// End-to-end test of operations during a run in the lab's picture: the
// rolling-deploy story, where app-1 is deployed with a new release and an
// operator flushes the script cache. The operator has a lane of its own
// below the node, its command is labelled with the node's reply, and the
// deploy is marked on the client's lane. A screenshot lands in
// tests/e2e/output/.
//
// Run after `trunk build --release`:  node --test tests/e2e/operations.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { output, startBrowser } from './browser.mjs';

let browser;
let server;
let page;
let problems = [];

before(async () => {
  browser = await startBrowser();
  ({ server, page, problems } = browser);
  await page.addInitScript(() => {
    try {
      localStorage.setItem('lockstep.timeline-view', 'picture');
    } catch {}
  });
});

after(async () => {
  await browser?.close();
});

test('the operator has its own lane, its command shows the reply, the deploy is marked', async () => {
  await page.goto(server.url + '#story=rolling_deploy_script_flush&seed=1', { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="picture"] [data-testid="arrow"]', { timeout: 30000 });
  const lanes = await page
    .locator('[data-testid^="lane-"]')
    .evaluateAll((nodes) => nodes.map((n) => n.dataset.testid));
  assert.deepEqual(lanes, ['lane-app-1', 'lane-app-2', 'lane-redis', 'lane-operator']);
  const texts = await page.locator('.dot text').allTextContents();
  assert.ok(texts.includes('SCRIPT FLUSH \u21d2 OK'), `dot labels: ${texts.join(' | ')}`);
  assert.ok(texts.includes('deploy'), `dot labels: ${texts.join(' | ')}`);
  await page.screenshot({ path: path.join(output, 'operations-picture.png'), fullPage: false });
  assert.deepEqual(problems, []);
});
