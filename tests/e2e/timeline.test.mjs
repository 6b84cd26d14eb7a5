// End-to-end test of the timeline as a picture (crates/web/src/ui/picture.rs)
// in the built playground (dist/), in headless Chromium.
//
// It opens the GC-pause story and checks the picture the way a learner
// reads it: one lane per actor, the paused client's span, the lock's bars,
// arrows between lanes; clicks an arrow and sees the step follow; plays and
// pauses; jumps to the next event of a kind; opens a folded retry loop;
// reads the key inspector's TTL and what a step changed. Then it runs a
// retry loop of thousands of events and measures the page's longest task
// (the same long-task probe as responsive.test.mjs) while the picture is
// stepped, played, opened and scrolled. Screenshots (desktop light, dark,
// phone) land in tests/e2e/output/.
//
// Run after `trunk build --release`:  node --test tests/e2e/timeline.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { output, startBrowser } from './browser.mjs';

/** No task on the page's thread may pass this while the picture is used. */
const FRAME_LIMIT_MS = 50;
/** Taking in a run (parsing the trace, reading it for the picture) is one
 * task; held to this, as responsive.test.mjs holds a search's result. */
const DELIVERY_LIMIT_MS = 500;

let browser;
let server;
let page;
let problems = [];

before(async () => {
  browser = await startBrowser();
  ({ server, page, problems } = browser);
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: 'longtask', buffered: true });
    window.__probeFrom = Infinity;
  });
});

after(async () => {
  await browser?.close();
});

async function screenshot(name) {
  await page.screenshot({ path: path.join(output, name), fullPage: false });
}

/** A fresh load of the lab, with the picture drawn. */
async function open(hash = '#/lab') {
  await page.goto('about:blank');
  await page.goto(server.url + hash, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid="picture"] [data-testid="arrow"]', { timeout: 30000 });
}

/** The step the picture's cursor is on. */
async function pictureStep() {
  return Number(await page.locator('[data-testid="picture"]').getAttribute('data-step'));
}

/** "Step 5 of 100" -> 5. */
async function labelStep() {
  const text = await page.locator('#step-label').innerText();
  const m = text.match(/Step (\d+) of (\d+)/);
  assert.ok(m, `step label: ${text}`);
  return Number(m[1]);
}

async function startProbe() {
  await page.evaluate(() => {
    window.__probeFrom = performance.now();
  });
}

async function longestTask() {
  return page.evaluate(() =>
    Math.max(0, ...window.__longTasks.filter((t) => t.start >= window.__probeFrom).map((t) => t.duration)),
  );
}

test('the picture is the lab main view, one lane per actor, with the table one click away', async () => {
  await open();
  for (const lane of ['client-1', 'client-2', 'redis', 'storage']) {
    assert.equal(await page.locator(`[data-testid="lane-${lane}"]`).count(), 1, `lane ${lane}`);
  }
  assert.equal(await page.locator('[data-testid="view-picture"]').getAttribute('aria-pressed'), 'true');
  const label = await page.locator('.pic-svg').getAttribute('aria-label');
  assert.match(label, /4 lanes \(client-1, client-2, redis, storage\)/);
  // The paused client is shaded, saying it is still inside its section.
  const pause = page.locator('[data-testid="span-paused"]');
  assert.equal(await pause.count(), 1);
  assert.match(await pause.locator('title').textContent(), /paused 15 s · inside report/);
  // The lock's two lives: client-1's, which expires, and client-2's.
  const bars = page.locator('[data-testid="key-bar"]');
  assert.ok((await bars.count()) >= 2);
  assert.match(await bars.nth(0).locator('title').textContent(), /lock:report · held by client-1 — expired/);
  assert.match(await bars.nth(1).locator('title').textContent(), /held by client-2/);
  // Requests and replies, and the folded retry loop of client-2.
  assert.ok((await page.locator('[data-testid="arrow"][data-kind="request"]').count()) >= 2);
  assert.ok((await page.locator('[data-testid="arrow"][data-kind="reply"]').count()) >= 2);
  assert.equal(await page.locator('[data-testid="fold"]').count(), 1);
  // The table is still there, for reading every event as text.
  await page.locator('[data-testid="view-table"]').click();
  await page.waitForSelector('.lab .tl-row');
  assert.equal(await page.locator('[data-testid="picture"]').count(), 0);
  await page.locator('[data-testid="view-picture"]').click();
  await page.waitForSelector('[data-testid="picture"]');
  assert.deepEqual(problems, []);
});

test('clicking an arrow goes to its step; so do the next-of-kind and actor jumps', async () => {
  await open();
  const arrow = page.locator('[data-testid="arrow"][data-kind="reply"]').first();
  const target = Number(await arrow.getAttribute('data-seq'));
  assert.notEqual(await pictureStep(), target);
  await arrow.locator('.hit').click();
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid="picture"]').dataset.step === String(t),
    target,
  );
  assert.equal(await labelStep(), target);
  assert.match(await page.locator('[data-testid="current-event"]').innerText(), new RegExp(`Step ${target} `));
  // "reply ›": the next reply anywhere in the run.
  const kind = page.locator('[data-testid="next-kind"]');
  assert.match(await kind.innerText(), /reply/);
  await kind.click();
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid="picture"]').dataset.step) > t, target);
  assert.match(await page.locator('[data-testid="current-event"]').innerText(), /←/);
  // Keyboard stepping still works on the picture.
  const before = await pictureStep();
  await page.locator('.pic-scroll').focus();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid="picture"]').dataset.step) === t + 1, before);
  await page.keyboard.press('Home');
  await page.waitForFunction(() => document.querySelector('[data-testid="picture"]').dataset.step === '0');
  assert.deepEqual(problems, []);
});

test('play steps on by itself at the chosen speed, and pause stops it', async () => {
  await open();
  await page.locator('[data-testid="speed-select"]').selectOption('4');
  await page.locator('[data-testid="play-button"]').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="picture"]').dataset.step) >= 3, null, {
    timeout: 5000,
  });
  await page.locator('[data-testid="play-button"]').click();
  assert.equal(await page.locator('[data-testid="picture"]').getAttribute('data-playing'), 'false');
  const stopped = await pictureStep();
  await page.waitForTimeout(800);
  assert.equal(await pictureStep(), stopped, 'paused means paused');
  assert.equal(await labelStep(), stopped);
  assert.deepEqual(problems, []);
});

test('the key inspector shows the lock TTL counting down and what a step changed', async () => {
  await open();
  // The first bar starts at the SET that created the lock.
  const bar = page.locator('[data-testid="key-bar"]').first();
  const setStep = Number(await bar.getAttribute('data-seq'));
  await open(`#story=gc_pause_past_ttl&seed=1&step=${setStep}`);
  await page.waitForFunction((s) => document.querySelector('[data-testid="picture"]').dataset.step === String(s), setStep);
  const row = page.locator('#world [data-testid="key-row"][data-key="lock:report"]');
  assert.equal(await row.getAttribute('data-change'), 'new');
  assert.match(await row.locator('.key-ttl').innerText(), /TTL 10000 ms/);
  assert.match(await row.locator('.key-type').innerText(), /string/);
  // The picture says the same TTL at the cursor.
  assert.match(await page.locator('[data-testid="ttl-now"]').first().textContent(), /TTL 10000 ms/);
  // ... and shades what is left of it, from the cursor to the deadline.
  const left = Number(await page.locator('[data-testid="ttl-left"]').first().getAttribute('width'));
  assert.ok(left > 0, `TTL left drawn: ${left}`);
  // A step later nothing happened to the key: no change marked, TTL lower or equal.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((s) => document.querySelector('[data-testid="picture"]').dataset.step === String(s + 1), setStep);
  assert.equal(await row.getAttribute('data-change'), null);
  // At the expiry the key is gone, and the inspector says so.
  await page.locator('.dot.t-expire circle').first().click();
  await page.waitForSelector('#world [data-testid="keys-removed"]');
  assert.match(await page.locator('#world [data-testid="keys-removed"]').innerText(), /lock:report/);
  await screenshot('timeline-key-inspector.png');
  assert.deepEqual(problems, []);
});

test('a folded retry loop opens on click', async () => {
  await open();
  const fold = page.locator('[data-testid="fold"]');
  assert.match(await fold.getAttribute('aria-label'), /\d+× SET lock:report.*open this loop/);
  const arrowsBefore = await page.locator('[data-testid="arrow"]').count();
  await fold.locator('rect').click();
  await page.waitForSelector('[data-testid="fold"].open');
  const width = Number(await page.locator('.pic-svg').getAttribute('width'));
  assert.ok(width > 0);
  assert.ok((await page.locator('[data-testid="arrow"]').count()) > arrowsBefore, 'the loop tries are drawn');
  await page.locator('[data-testid="fold"].open .fold-tab').click();
  await page.waitForSelector('[data-testid="fold"]:not(.open)');
  assert.deepEqual(problems, []);
});

test('a partition is a band and its lost messages stop halfway', async () => {
  await open('#story=redlock_partition&seed=1&step=0');
  assert.equal(await page.locator('[data-testid="band-partition"]').count(), 1);
  await page.locator('[data-testid="band-partition"] rect').click({ position: { x: 4, y: 4 } });
  await page.waitForFunction(() => /partition/i.test(document.querySelector('[data-testid="current-event"]').innerText));
  assert.ok((await page.locator('[data-testid="arrow"][data-fate="dropped"]').count()) >= 1);
  await screenshot('timeline-redlock.png');
  assert.deepEqual(problems, []);
});

test('screenshots: desktop light, dark, and a phone', async () => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await open('#story=gc_pause_past_ttl&seed=1&step=10');
  await page.locator('[data-testid="picture"]').scrollIntoViewIfNeeded();
  await screenshot('timeline-desktop-light.png');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot('timeline-desktop-dark.png');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await open('#story=gc_pause_past_ttl&seed=1&step=10');
  await page.locator('[data-testid="picture"]').scrollIntoViewIfNeeded();
  await screenshot('timeline-phone.png');
  // On a phone the lanes scroll sideways under labels that stay put.
  const labels = await page.locator('.pic-labels').boundingBox();
  const scroller = page.locator('.pic-scroll');
  assert.ok(await scroller.evaluate((el) => el.scrollWidth > el.clientWidth), 'the lanes scroll sideways');
  await scroller.evaluate((el) => {
    el.scrollLeft += 400;
  });
  assert.deepEqual(await page.locator('.pic-labels').boundingBox(), labels);
  await page.setViewportSize({ width: 1280, height: 860 });
  assert.deepEqual(problems, []);
});

test('a retry loop of thousands of events never blocks a frame for more than 50 ms', async () => {
  await open();
  // client-2 retries every millisecond instead of every 500: thousands of
  // tries while client-1 is paused.
  const editor = page.locator('#scenario-editor');
  const text = await editor.inputValue();
  const edited = text.replace('lock.acquire_retry("lock:report", id, 10000, 500)', 'lock.acquire_retry("lock:report", id, 10000, 1)');
  assert.notEqual(edited, text, 'the story still has the retry line this test edits');
  await editor.fill(edited);
  const runsBefore = Number(await page.locator('.lab').getAttribute('data-runs'));
  await startProbe();
  await page.locator('#run-button').click();
  await page.waitForFunction((n) => Number(document.querySelector('.lab').dataset.runs) > n, runsBefore, {
    timeout: 60000,
  });
  await page.waitForSelector('[data-testid="fold"]');
  const delivery = await longestTask();
  const events = Number((await page.locator('#step-label').innerText()).match(/of (\d+)/)[1]) + 1;
  assert.ok(events > 3000, `a long run: ${events} events`);
  const fold = page.locator('[data-testid="fold"]');
  assert.match(await fold.getAttribute('aria-label'), /^\d{3,}×/);

  // Using the picture: step, jump, play, open the loop, scroll through it.
  await page.waitForTimeout(300);
  await startProbe();
  const mark = (name) => page.evaluate((n) => (window.__phases = [...(window.__phases ?? []), [n, performance.now()]]), name);
  await mark('step');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await mark('open fold');
  await fold.locator('rect').click();
  await page.waitForSelector('[data-testid="fold"].open');
  await mark('next actor');
  await page.locator('[data-testid="next-actor"]').click();
  await page.locator('[data-testid="speed-select"]').selectOption('4');
  await mark('play');
  await page.locator('[data-testid="play-button"]').click();
  await page.waitForTimeout(1200);
  await page.locator('[data-testid="play-button"]').click();
  await mark('scroll');
  const scroller = page.locator('.pic-scroll');
  for (let i = 0; i < 12; i++) {
    await scroller.evaluate((el) => {
      el.scrollLeft += 2500;
    });
    await page.waitForTimeout(50);
  }
  await mark('end');
  await page.keyboard.press('End');
  await page.waitForTimeout(300);
  const using = await longestTask();
  const phases = await page.evaluate(() => window.__phases ?? []);
  const tasks = await page.evaluate(() => window.__longTasks.filter((t) => t.start >= window.__probeFrom));
  if (tasks.length) console.log('long tasks:', JSON.stringify(tasks), 'phases:', JSON.stringify(phases));
  const drawn = await page.locator('.pic-svg .dot').count();
  console.log(
    `timeline: ${events} events; taking in the run: longest task ${delivery.toFixed(0)} ms; ` +
      `stepping, playing, opening the loop and scrolling: longest task ${using.toFixed(0)} ms; ` +
      `${drawn} dots drawn`,
  );
  assert.ok(drawn < events / 4, `only the visible window is drawn (${drawn} of ${events})`);
  assert.ok(delivery <= DELIVERY_LIMIT_MS, `taking in the run: ${delivery} ms`);
  assert.ok(using <= FRAME_LIMIT_MS, `longest task while using the picture: ${using} ms`);
  assert.deepEqual(problems, []);
});
