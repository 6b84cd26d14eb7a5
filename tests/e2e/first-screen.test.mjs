// End-to-end tests of the first screen: the home is a small wasm of its
// own, and the whole app (lessons, lab, console, the Redis model and Lua)
// is fetched only when the learner leaves the home.
//
// Run after `trunk build --release`:  node --test tests/e2e/first-screen.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import { output, startBrowser } from './browser.mjs';

/** The first screen's budget: gzipped bytes fetched before the home works. */
const FIRST_SCREEN_BUDGET = 400 * 1024;

let browser;
let server;
let page;
let problems = [];

before(async () => {
  browser = await startBrowser();
  ({ server, page, problems } = browser);
});

after(async () => {
  await browser?.close();
});

/** Loads `hash` afresh and lists every file fetched until `ready` shows. */
async function fetchedUntil(hash, ready) {
  const fetched = [];
  const onResponse = async (res) => {
    const body = await res.body().catch(() => null);
    if (body) fetched.push({ file: path.basename(new URL(res.url()).pathname) || 'index.html', body });
  };
  await page.goto('about:blank');
  page.on('response', onResponse);
  await page.goto(server.url + hash);
  await page.waitForSelector(ready, { timeout: 30000 });
  await page.waitForTimeout(300);
  page.off('response', onResponse);
  return fetched;
}

test('the home is drawn from a small first screen, without the app, the worker or Lua', async () => {
  const fetched = await fetchedUntil('#/', '[data-testid="home"] .lesson-card');
  const files = fetched.map((f) => f.file);
  assert.ok(files.some((f) => /^lockstep-web-.*_bg\.wasm$/.test(f)), `the first screen's wasm: ${files}`);
  assert.ok(!files.some((f) => f.startsWith('lockstep-app')), `the whole app is not fetched: ${files}`);
  assert.ok(!files.some((f) => f.startsWith('lockstep-worker')), `the worker is not fetched: ${files}`);
  const gzipped = fetched.reduce((sum, f) => sum + zlib.gzipSync(f.body, { level: 9 }).length, 0);
  const raw = fetched.reduce((sum, f) => sum + f.body.length, 0);
  console.log(`first screen: ${files.length} files, ${raw} B, ${gzipped} B gzip -9`);
  assert.ok(gzipped <= FIRST_SCREEN_BUDGET, `${gzipped} B gzip > ${FIRST_SCREEN_BUDGET}`);
  // Every lesson is listed, with its question count and the search working.
  assert.ok((await page.locator('.lesson-card').count()) >= 8);
  await page.fill('[data-testid="search"]', 'zzzz no such words');
  await page.waitForSelector('[data-testid="no-match"]');
  await page.fill('[data-testid="search"]', '');
});

test('leaving the home loads the whole app, which then serves every page, the home included', async () => {
  await page.goto('about:blank');
  await page.goto(server.url + '#/');
  await page.waitForSelector('[data-testid="home"] .lesson-card');
  const appFetched = [];
  const onRequest = (req) => {
    if (/lockstep-app/.test(req.url())) appFetched.push(req.url());
  };
  page.on('request', onRequest);
  await page.click('[data-testid="start-here"]');
  await page.waitForSelector('.lesson-run #step-label', { timeout: 30000 });
  assert.ok(appFetched.some((u) => u.endsWith('lockstep-app_bg.wasm')), `app fetched: ${appFetched}`);
  assert.equal(await page.locator('.shell').count(), 1, 'one app on the page');
  // Back to the home and on to the lab: the app draws both, fetching nothing more.
  appFetched.length = 0;
  await page.goBack();
  await page.waitForSelector('[data-testid="home"] .lesson-card');
  assert.equal(await page.locator('.shell').count(), 1);
  await page.click('[data-testid="nav-lab"]');
  await page.waitForSelector('.lab #step-label', { timeout: 30000 });
  page.off('request', onRequest);
  // (The lab's workers import the app's JS glue; its wasm they get from the page.)
  assert.deepEqual(appFetched.filter((u) => u.endsWith('.wasm')), [], 'the app is fetched once');
  await page.screenshot({ path: path.join(output, 'first-screen-then-lab.png') });
});

test('a link straight to a lesson opens it (the first screen hands over at once)', async () => {
  await page.goto('about:blank');
  await page.goto(server.url + '#/lesson/locks/gc-pause-past-the-ttl?step=3');
  await page.waitForSelector('.lesson-run #step-label', { timeout: 30000 });
  assert.match(await page.locator('#step-label').innerText(), /^Step 3 of/);
  assert.equal(await page.locator('.shell').count(), 1);
});

test("the web workers run the app's own module: a lesson downloads no second copy of the model", async () => {
  const files = [];
  const onRequest = (req) => files.push(path.basename(new URL(req.url()).pathname));
  await page.goto('about:blank');
  page.on('request', onRequest);
  await page.goto(server.url + '#/lesson/locks/gc-pause-past-the-ttl');
  // The lesson's run comes from a worker.
  await page.waitForSelector('.lesson-run #step-label', { timeout: 30000 });
  await page.waitForTimeout(300);
  page.off('request', onRequest);
  assert.ok(files.includes('lockstep-worker.js'), `a worker started: ${files}`);
  // The worker imported the app's JS itself (so its requests are seen here) ...
  assert.ok(files.filter((f) => f === 'lockstep-app.js').length >= 2, `the worker's imports: ${files}`);
  // ... and took the page's compiled module instead of fetching a wasm.
  const wasm = files.filter((f) => f.endsWith('.wasm') && !/^lockstep-web-/.test(f));
  assert.deepEqual(wasm, ['lockstep-app_bg.wasm'], `wasm fetched: ${files}`);
});

test('no console errors or failed requests', () => {
  assert.deepEqual(problems, []);
});
