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
  // Step through the run (the picture follows the cursor) to the
  // operator's command, noting the labels drawn on the way.
  const seen = new Set();
  await page.locator('.pic-scroll').focus();
  const last = Number((await page.locator('#step-label').innerText()).match(/of (\d+)/)[1]);
  let atCommand = false;
  for (let i = 0; i <= last && !atCommand; i++) {
    for (const text of await page.locator('.dot text').allTextContents()) {
      if (text === 'SCRIPT FLUSH \u21d2 OK' || text === 'deploy') seen.add(text);
    }
    const current = await page.locator('[data-testid="current-event"]').innerText();
    atCommand = current.includes('operator on redis: SCRIPT FLUSH');
    if (!atCommand) await page.keyboard.press('ArrowRight');
  }
  assert.ok(atCommand, 'the cursor reached the operator command');
  await page.locator('[data-testid="picture"]').screenshot({ path: path.join(output, 'operations-picture.png') });
  assert.deepEqual([...seen].sort(), ['SCRIPT FLUSH \u21d2 OK', 'deploy']);
  assert.deepEqual(problems, []);
});
