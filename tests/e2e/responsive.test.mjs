// End-to-end test that the page never freezes while the simulator works:
// runs and "Break it" go to a web worker, so the page's own thread only
// draws. The busy-script story is the heaviest one (a Lua script that
// blocks its node; over a second per run on the page's thread before).
//
// What is measured: the main thread's long tasks (PerformanceObserver
// 'longtask' entries: any task over 50 ms on the page's thread), which a
// loaded CI machine does not inflate the way it inflates gaps between
// animation frames. The longest gap between frames is printed beside it,
// for information only.
//
// Run must cause no long task at all. The search itself runs in the
// worker, but taking in its counterexample (parsing the trace, drawing the
// timeline at the violation) is still one task on the page's thread that
// can pass 50 ms on a loaded machine, so Break it and an explore=1 link are
// held to DELIVERY_LIMIT_MS instead (they froze the page for 1.8 s and
// 6.5 s before); the figures are printed either way.
//
// Run after `trunk build --release`:  node --test tests/e2e/responsive.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { output, startBrowser } from './browser.mjs';

/** Longest task allowed while a search's result is taken in. */
const DELIVERY_LIMIT_MS = 500;

let browser;
let server;
let page;
let problems = [];

before(async () => {
  browser = await startBrowser();
  ({ server, page, problems } = browser);
  // From the first moment of every load: long tasks of this page's thread,
  // and the longest gap between animation frames after `__probeFrom`.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        window.__longTasks.push({ start: entry.startTime, duration: entry.duration, name: entry.name });
      }
    }).observe({ type: 'longtask', buffered: true });
    window.__probeFrom = Infinity;
    window.__longestFrame = 0;
    let last = performance.now();
    const tick = (now) => {
      if (now >= window.__probeFrom) window.__longestFrame = Math.max(window.__longestFrame, now - last);
      last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
});

after(async () => {
  await browser?.close();
});

/** Starts the probe now: only what happens from here on counts. */
async function startProbe() {
  await page.evaluate(() => {
    window.__probeFrom = performance.now();
    window.__longestFrame = 0;
  });
}

/** The long tasks since the probe started, and the longest frame gap. */
async function readProbe() {
  return page.evaluate(() => ({
    longTasks: window.__longTasks.filter((t) => t.start >= window.__probeFrom),
    longestFrame: window.__longestFrame,
  }));
}

function report(what, probe, seconds) {
  const longest = Math.max(0, ...probe.longTasks.map((t) => t.duration));
  console.log(
    `${what}: ${probe.longTasks.length} long tasks on the page's thread (longest ${Math.round(longest)} ms); ` +
      `longest gap between frames ${Math.round(probe.longestFrame)} ms; ${seconds.toFixed(1)} s in all`,
  );
}

function assertShortTasks(probe, when) {
  const longest = Math.max(0, ...probe.longTasks.map((t) => t.duration));
  assert.ok(longest < DELIVERY_LIMIT_MS, `a task of ${longest} ms on the page thread ${when}`);
}

/** Waits until the run asked for has been shown (the lab counts them). */
async function waitForRun(before) {
  await page.waitForFunction(
    (n) => Number(document.querySelector('.lab')?.dataset.runs ?? 0) > n,
    before,
    { timeout: 60000 },
  );
}

async function runsShown() {
  return Number(await page.locator('.lab').getAttribute('data-runs'));
}

test('Run on the busy-script story never blocks the page for 50 ms, nor Break it for long', async () => {
  await page.goto(server.url + '#story=busy_script', { waitUntil: 'load' });
  await page.waitForSelector('.lab [data-testid="picture"] .dot', { timeout: 60000 });
  assert.equal(await page.inputValue('#story-select'), 'busy_script');
  // The story's node is declared slower at scripts, and says so by its name.
  assert.equal(
    (await page.locator('[data-testid="lane-note-redis"]').innerText()).trim(),
    'scripts at 2% speed',
  );
  await page.locator('.pic-label.k-node').first().screenshot({ path: path.join(output, 'busy-script-node-label.png') });

  await startProbe();
  let started = Date.now();
  const runs = await runsShown();
  await page.click('#run-button');
  // The button says the run is under way until it has arrived.
  assert.match(await page.locator('#run-button').innerText(), /Running/);
  await waitForRun(runs);
  assert.match(await page.locator('#run-button').innerText(), /^Run$/);
  let probe = await readProbe();
  report('Run, busy-script story', probe, (Date.now() - started) / 1000);
  assert.deepEqual(probe.longTasks, [], 'no task over 50 ms on the page thread during Run');

  await startProbe();
  started = Date.now();
  await page.click('#break-button');
  await page.locator('.explore.running').waitFor();
  // The page answers while the explorer works: the slider still steps.
  await page.keyboard.press('ArrowRight');
  await page.locator('#explore-result').waitFor({ timeout: 300000 });
  probe = await readProbe();
  report('Break it, busy-script story', probe, (Date.now() - started) / 1000);
  assertShortTasks(probe, 'during Break it');
  await page.screenshot({ path: path.join(output, 'busy-script-broken.png'), fullPage: true });
});

test('an explore=1 link to the busy-script story does not freeze the page on load', async () => {
  await page.goto('about:blank');
  await page.goto(server.url + '#story=busy_script&explore=1', { waitUntil: 'load' });
  // Loading the wasm and the first render are the page's own work; the
  // search the link starts is what must not block.
  await page.waitForSelector('.lab', { timeout: 60000 });
  await startProbe();
  const started = Date.now();
  await page.locator('#explore-result').waitFor({ timeout: 300000 });
  const probe = await readProbe();
  report('explore=1 link, busy-script story', probe, (Date.now() - started) / 1000);
  assertShortTasks(probe, 'while the link explores');
});

test('cancel stops a search in the worker and reports its coverage', async () => {
  await page.goto('about:blank');
  await page.goto(server.url + '#story=busy_script', { waitUntil: 'load' });
  await page.waitForSelector('.lab [data-testid="picture"] .dot', { timeout: 60000 });
  const text = await page.inputValue('#scenario-editor');
  await page.fill('#scenario-editor', `${text}\n[explore]\nkinds = ["kill"]\nschedules = 10000000\n`);
  await page.click('#break-button');
  await page.locator('.explore.running').waitFor();
  await page.click('#cancel-button');
  const result = page.locator('#explore-result');
  await result.waitFor({ timeout: 60000 });
  assert.match(await result.innerText(), /The search was cancelled/);
});

test('no console errors or failed requests', () => {
  assert.deepEqual(problems, []);
});
