// End-to-end test of the scenario lab in the built playground (dist/), in
// headless Chromium.
//
// It does what a learner and an instructor do: picks the GC-pause story,
// runs it, jumps to the violation and reads the world at that step; opens a
// deep link to a step, and a forged one; lets the explorer break the story;
// breaks the TOML on purpose. Any console error, uncaught exception or
// failed request fails the run. Screenshots land in tests/e2e/output/ for a
// human to look at, at desktop and phone widths and in dark mode.
//
// It also prints the explorer's speed in Chromium (schedules per second on
// the GC-pause story) and the longest the page went without painting while
// the explorer ran: benchmarks, not assertions.
//
// Run after `trunk build --release`:  node --test tests/e2e/scenarios.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { output, startBrowser } from './browser.mjs';

const GC_TITLE = "A GC pause outlives the lock's TTL";

let browser;
let server;
let page;
let problems = [];
/** The GC-pause story's violation step, as the page's run gives it (set
 * when the story is run; later tests link to it). */
let violationStep;

before(async () => {
  browser = await startBrowser();
  ({ server, page, problems } = browser);
  // These tests read the timeline as its table (the picture has its own,
  // timeline.test.mjs): the page remembers a visitor's choice of view.
  // (about:blank, between loads, has no storage.)
  await page.addInitScript(() => {
    try {
      localStorage.setItem('lockstep.timeline-view', 'table');
    } catch {}
  });
});

after(async () => {
  await browser?.close();
});

async function screenshot(name) {
  await page.screenshot({ path: path.join(output, name), fullPage: true });
}

/** A fresh page load at `hash` (a hash-only goto would not reload); the
 * lab's page by default. */
async function open(hash = '#/lab') {
  await page.goto('about:blank');
  await page.goto(server.url + hash, { waitUntil: 'load' });
  await page.waitForSelector('.lab .tl-row', { timeout: 15000 });
}

/** "Step 5 of 100" -> [5, 100]. */
async function stepLabel() {
  const text = await page.locator('#step-label').innerText();
  const m = text.match(/Step (\d+) of (\d+)/);
  assert.ok(m, `step label: ${text}`);
  return [Number(m[1]), Number(m[2])];
}

async function currentRowSeq() {
  return Number(await page.locator('.tl-row.current').getAttribute('data-seq'));
}

test('the lab opens on a story and points to the lessons', async () => {
  await open();
  assert.match(await page.locator('.lab .lessons').innerText(), /The lessons walk through them/);
  assert.equal(await page.inputValue('#story-select'), 'gc_pause_past_ttl');
  assert.deepEqual((await stepLabel())[0], 0);
  // A plain visit keeps its address until the visitor does something.
  assert.equal(new URL(page.url()).hash, '#/lab');
  await screenshot('lab-home.png');
});

test('pick the GC-pause story, run it, and see mutual exclusion violated', async () => {
  // Pick another story first, so picking the GC pause is a real change.
  await page.selectOption('#story-select', 'clock_jump');
  await page.waitForFunction(() => document.querySelector('.lab .world-title') !== null);
  assert.equal(
    await page.locator('#story-select option:checked').innerText(),
    'A clock jump on the node expires the lock early',
  );
  await page.selectOption('#story-select', 'gc_pause_past_ttl');
  assert.equal(await page.locator('#story-select option:checked').innerText(), GC_TITLE);
  assert.match(await page.inputValue('#scenario-editor'), /title = "A GC pause outlives/);
  assert.equal(await page.inputValue('#seed-input'), '1');
  const runs = Number(await page.locator('.lab').getAttribute('data-runs'));
  await page.click('#run-button');
  // Run says that it ran: the run counter in the verdicts moves on.
  await page.waitForFunction(
    (n) => Number(document.querySelector('.lab').dataset.runs) > n,
    runs,
  );
  assert.match(await page.locator('.verdicts .ran').innerText(), new RegExp(`Run ${runs + 1} · \\d+ steps`));
  // The verdicts wait until the learner has stepped to the end or asks.
  assert.equal(await page.locator('.verdict').count(), 0, 'no verdict before stepping');
  assert.match(await page.locator('.verdicts-hidden').innerText(), /2 invariants are checked/);
  await screenshot('lab-verdicts-hidden.png');
  await page.click('#show-verdicts');

  const violated = page.locator('button.verdict.violated', { hasText: 'mutual_exclusion(report)' });
  await violated.waitFor();
  const text = await violated.innerText();
  assert.match(text, /VIOLATED/);
  assert.match(text, /client-2 entered "report" while client-1 was still inside/);
  violationStep = Number(await violated.getAttribute('data-at-seq'));
  assert.ok(Number.isInteger(violationStep) && violationStep > 0, `violation step ${violationStep}`);
  assert.match(await page.locator('.verdicts .stopped').innerText(), /every client finished/);
});

test('clicking the violation jumps to its step and shows the world there', async () => {
  await page
    .locator('button.verdict.violated', { hasText: 'mutual_exclusion(report)' })
    .click();
  const [step] = await stepLabel();
  assert.equal(step, violationStep);
  assert.equal(await currentRowSeq(), violationStep);
  assert.match(await page.locator('.tl-row.current').innerText(), /VIOLATION of mutual_exclusion/);

  const world = page.locator('#world');
  assert.match(await world.locator('.world-title').innerText(), new RegExp(`World at step ${violationStep}\\b`));
  const lock = world.locator('.keys li', { hasText: 'lock:report' });
  assert.equal(await lock.count(), 1, 'the lock key is on the node');
  assert.match(await lock.locator('.key-ttl').innerText(), /^TTL \d+ ms$/, 'with a TTL');
  const report = world.locator('.section', { hasText: 'report' });
  assert.match(await report.locator('.inside').innerText(), /^client-1, client-2$/);
  assert.match(await report.getAttribute('class'), /\bcrowded\b/);

  // The address now names this exact view.
  assert.equal(new URL(page.url()).hash, `#story=gc_pause_past_ttl&seed=1&step=${violationStep}`);
  await screenshot('lab-violation.png');
});

test('arrow keys and the step buttons move through the run', async () => {
  await page.keyboard.press('ArrowRight');
  assert.equal((await stepLabel())[0], violationStep + 1);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await stepLabel())[0], violationStep - 1);
  await page.click('button[aria-label="Last step"]');
  const [step, last] = await stepLabel();
  assert.equal(step, last);
  await page.click('button[aria-label="First step"]');
  assert.equal((await stepLabel())[0], 0);
  assert.equal(new URL(page.url()).hash, '#story=gc_pause_past_ttl&seed=1&step=0');
  // A click on a row selects it.
  await page.locator('.tl-row[data-seq="5"]').click();
  assert.equal((await stepLabel())[0], 5);
});

test('a deep link opens its story at its step', async () => {
  await open('#story=clock_jump&seed=1&step=10');
  assert.equal(await page.inputValue('#story-select'), 'clock_jump');
  assert.equal((await stepLabel())[0], 10);
  assert.equal(await currentRowSeq(), 10);
  assert.match(await page.locator('.world-title').innerText(), /World at step 10/);
  assert.equal(await page.locator('.notice').count(), 0, 'a good link has no complaint');
  assert.notEqual(
    await page.evaluate(() => document.activeElement?.id),
    'console-input',
    'a linked view does not hand the keyboard to the console',
  );
  await page.keyboard.press('ArrowRight');
  assert.equal(new URL(page.url()).hash, '#story=clock_jump&seed=1&step=11');
  await screenshot('lab-deep-link.png');
});

test('a link pasted into the address bar is followed without a reload', async () => {
  // After a visitor has picked from the menu (and its run is shown), a
  // link still moves it.
  const runs = Number(await page.locator('.lab').getAttribute('data-runs'));
  await page.selectOption('#story-select', 'bank_transfer');
  await page.waitForFunction((n) => Number(document.querySelector('.lab').dataset.runs) > n, runs);
  await page.evaluate((step) => {
    window.location.hash = `#story=gc_pause_past_ttl&seed=1&step=${step}`;
  }, violationStep);
  await page.waitForFunction(
    (step) => new RegExp(`Step ${step} of`).test(document.querySelector('#step-label')?.textContent ?? ''),
    violationStep,
  );
  assert.equal(await page.inputValue('#story-select'), 'gc_pause_past_ttl');
});

test('a forged link says what it could not follow and falls back', async () => {
  await open('#story=no_such_story&seed=banana&step=40');
  const notice = await page.locator('.notice').innerText();
  assert.match(notice, /This link could not be followed exactly/);
  assert.match(notice, /there is no story “no_such_story”/);
  assert.match(notice, /seed “banana” is not a whole number/);
  assert.match(notice, new RegExp(`Showing “${GC_TITLE}” \\(seed 1\\) at step 40 instead`));
  assert.ok(await page.locator('.notice').isVisible(), 'the complaint is on screen');
  const box = await page.locator('.notice').boundingBox();
  assert.ok(box.y >= 0 && box.y < 860, 'the page was not scrolled past the complaint');
  assert.equal(await page.inputValue('#story-select'), 'gc_pause_past_ttl');
  assert.equal((await stepLabel())[0], 40);
  await screenshot('lab-forged-link.png');

  await open('#story=gc_pause_past_ttl&step=5000');
  assert.match(await page.locator('.notice').innerText(), /step 5000 is past the end of this run/);
  const [step, last] = await stepLabel();
  assert.equal(step, last);

  await open('#%3Cscript%3Ealert(1)%3C/script%3E');
  assert.match(await page.locator('.notice').innerText(), /could not be followed/);
  assert.ok((await page.locator('.tl-row').count()) > 10, 'the lab still shows a run');
  await page.click('.notice button');
  assert.equal(await page.locator('.notice').count(), 0);
});

test('Break it finds the GC pause on its own and shows its trace', async () => {
  await open();
  assert.match(await page.locator('.explore-hint').innerText(), /runs in the background/);
  // Watch for long frames while the explorer runs (in its worker).
  await page.evaluate(() => {
    window.__longestFrame = 0;
    let last = performance.now();
    const tick = (now) => {
      window.__longestFrame = Math.max(window.__longestFrame, now - last);
      last = now;
      if (!window.__stopFrames) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  await page.click('#break-button');
  const result = page.locator('#explore-result');
  await result.waitFor({ timeout: 180000 });
  const wall = (Date.now() - started) / 1000;
  const longest = await page.evaluate(() => {
    window.__stopFrames = true;
    return window.__longestFrame;
  });
  const text = await result.innerText();
  assert.match(text, /Broken\./);
  assert.match(text, /the story's own faults taken out \(pause client-1 for 15000 ms\)/);
  assert.match(text, /pause client-1 for \d+ ms right after client-1's 1st enter/);
  // The search was split across one worker per core (at most 4); the
  // answer above is the one a single worker gives.
  const { workers, cores } = await page.evaluate(() => ({
    workers: Number(document.documentElement.dataset.searchWorkers),
    cores: navigator.hardwareConcurrency || 0,
  }));
  assert.equal(workers, Math.min(4, Math.max(1, cores)));
  const rate = Number(await result.getAttribute('data-schedules-per-second'));
  const tried = text.match(/(\d+) schedules in ([\d.]+) s/);
  console.log(
    `explorer in Chromium, GC pause story, ${workers} workers: ${rate.toFixed(1)} schedules/s ` +
      `(${tried?.[1]} schedules in ${tried?.[2]} s; ${wall.toFixed(1)} s from click to result; ` +
      `longest frame ${Math.round(longest)} ms)`,
  );

  // The counterexample is on the timeline, at its first violation.
  assert.match(await page.locator('.source.counterexample').innerText(), /explorer's counterexample/);
  const current = await currentRowSeq();
  assert.match(await page.locator('.tl-row.current').innerText(), /VIOLATION/);
  assert.equal((await stepLabel())[0], current);
  assert.match(new URL(page.url()).hash, new RegExp(`explore=1&step=${current}$`));
  await screenshot('lab-break-it.png');

  // The link reruns the (deterministic) search and lands on the same step.
  const link = new URL(page.url()).hash;
  await open(link);
  await page.locator('#explore-result').waitFor({ timeout: 180000 });
  assert.equal(await currentRowSeq(), current);
  assert.equal(new URL(page.url()).hash, link);

  await page.click('.source.counterexample button');
  await page.locator('.source.counterexample').waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await page.locator('.source.counterexample').count(), 0);
});

test('Break it within bounds that cannot break it: cancel, then the coverage statement', async () => {
  // Killing a client never breaks this story (a dead client leaves the
  // section and writes nothing), so the search runs its whole budget: the
  // steady speed of the explorer in Chromium.
  await open();
  const text = await page.inputValue('#scenario-editor');
  const budget = (schedules) => `${text}\n[explore]\nkinds = ["kill"]\nschedules = ${schedules}\n`;
  // A budget far too big to finish before the click on Cancel.
  await page.fill('#scenario-editor', budget(10000000));
  await page.click('#break-button');
  await page.locator('.explore.running').waitFor();
  assert.match(await page.locator('.explore.running').innerText(), /within the scenario's \[explore\] budget/);
  await page.screenshot({ path: path.join(output, 'lab-breaking.png') });
  await page.click('#cancel-button');
  const cancelled = await page.locator('#explore-result').innerText();
  assert.match(cancelled, /The search was cancelled/);

  await page.fill('#scenario-editor', budget(1000));
  await page.click('#break-button');
  const result = page.locator('.explore.held');
  await result.waitFor({ timeout: 180000 });
  const statement = await result.innerText();
  assert.match(statement, /No violation found within these bounds: 1000 schedules planned, \d+ struck/);
  assert.match(statement, /not a proof of correctness/);
  const rate = Number(await result.getAttribute('data-schedules-per-second'));
  console.log(`explorer in Chromium, GC pause story, kill-only budget: ${rate.toFixed(1)} schedules/s over 1000 schedules`);
  // Nothing broke, so the story's own run stays on show.
  assert.equal(await page.locator('.source.counterexample').count(), 0);
});

test('bad TOML shows the parser message and keeps the last run', async () => {
  await open(`#story=gc_pause_past_ttl&seed=1&step=${violationStep}`);
  const rows = await page.locator('.tl-row').count();
  const broken = (await page.inputValue('#scenario-editor')).replace('[[node]]', '[[node]');
  await page.fill('#scenario-editor', broken);
  await page.click('#run-button');
  const error = page.locator('#editor-error');
  await error.waitFor();
  assert.match(await error.innerText(), /TOML parse error at line \d+, column \d+/);
  assert.equal(await page.locator('.tl-row').count(), rows, 'the previous run stays');
  assert.equal((await stepLabel())[0], violationStep);
  assert.equal(await page.inputValue('#scenario-editor'), broken, 'the edit is kept');
  // "Show line N" puts the caret on the line the parser names.
  await page.click('#editor-error button:has-text("Show line")');
  assert.equal(
    await page.evaluate(() => {
      const area = document.activeElement;
      return area.value.slice(area.selectionStart, area.selectionEnd);
    }),
    '[[node]',
  );
  await page.locator('#editor-error').scrollIntoViewIfNeeded();
  await screenshot('lab-bad-toml.png');

  // An unknown actor in a fault: the validator names it.
  const wrong = (await page.inputValue('#scenario-editor'))
    .replace('[[node]', '[[node]]')
    .replace('target = "client-1"', 'target = "client-9"');
  await page.fill('#scenario-editor', wrong);
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => /client-9/.test(document.querySelector('#editor-error')?.textContent ?? ''));
  await page.click('.editor-buttons button:has-text("Revert")');
  assert.equal(await page.locator('#editor-error').count(), 0);
});

test('the lab holds on a phone-sized screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await open(`#story=gc_pause_past_ttl&seed=1&step=${violationStep}`);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.equal(overflow, 0, 'no horizontal scrolling of the page');
  assert.equal(
    await page.locator('.tl-row[data-seq="76"] .tl-who').innerText(),
    'client-2',
    'each event names its actor when the columns collapse',
  );
  await screenshot('lab-narrow.png');
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('the dark colour scheme is readable', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await open(`#story=gc_pause_past_ttl&seed=1&step=${violationStep}`);
  await screenshot('lab-dark.png');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('a consensus story shows the service in the world panel', async () => {
  await open('#story=consensus_lock_gc_pause&seed=1&step=0');
  await page.click('#show-verdicts');
  await page
    .locator('button.verdict.violated', { hasText: 'mutual_exclusion(report)' })
    .click();
  assert.match(await page.locator('.tl-row.current').innerText(), /VIOLATION of mutual_exclusion/);
  const service = page.locator('#world [data-testid="consensus-service"]');
  assert.equal(await service.count(), 1);
  const text = await service.innerText();
  assert.match(text, /etcd-1 leads term 1/);
  // client-2 entered on the key it wrote once client-1's lease had run out.
  assert.match(text, /lock:report = \u201cclient-2\u201d \(revision 3, lease 2\)/);
  await screenshot('lab-consensus.png');
});

test('no console errors or failed requests', () => {
  assert.deepEqual(problems, []);
});
