// End-to-end tests of review and the progress file: questions answered
// wrong in a lesson come back on the review page on the Leitner schedule
// (time moved by the page's clock shift), a predict question comes back on
// a run with a new seed and is graded on it, a choice answered right
// climbs a box; the progress downloads as a file, and importing it after
// the browser forgot everything brings it all back. Also: the fidelity
// badge on the home.
//
// Run after `trunk build --release`:  node --test tests/e2e/review.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { output, startBrowser } from './browser.mjs';

const LESSON = 'locks/gc-pause-past-the-ttl';
const SHIFT_KEY = 'lockstep.clock.shift_ms';
const MINUTE = 60 * 1000;

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

async function screenshot(name, fullPage = true) {
  await page.screenshot({ path: path.join(output, name), fullPage });
}

/** A fresh page load at `hash` (a hash-only goto would not reload). */
async function open(hash) {
  await page.goto('about:blank');
  await page.goto(server.url + hash, { waitUntil: 'load' });
}

async function shiftClock(ms) {
  await page.evaluate(([key, ms]) => localStorage.setItem(key, String(ms)), [SHIFT_KEY, ms]);
}

/** The lesson's own seed, from the lesson page's world (its run). */
async function answerTwoQuestionsWrongInTheLesson() {
  await open(`#/lesson/${LESSON}`);
  await page.waitForSelector('.lesson-run #step-label', { timeout: 30000 });
  // The predict question "who is inside": answered wrong at its gate.
  await page.click('button[aria-label="Last step"]');
  await page.waitForSelector('[data-testid="run-stopped"]');
  await page.locator('[data-testid="question-inside"] button', { hasText: /^client-2$/ }).click();
  const inside = page.locator('[data-testid="verdict-inside"]');
  await inside.waitFor();
  assert.match(await inside.getAttribute('class'), /wrong/);
  // The choice question "purpose": option B is wrong.
  const purpose = page.locator('[data-testid="question-purpose"]');
  await purpose.locator('input').nth(1).check();
  await purpose.locator('button', { hasText: /^Check/ }).click();
  const verdict = page.locator('[data-testid="verdict-purpose"]');
  await verdict.waitFor();
  assert.match(await verdict.getAttribute('class'), /wrong/);
}

test('a question answered wrong comes back after ten minutes; a predict one on a new seed', async () => {
  await answerTwoQuestionsWrongInTheLesson();

  // Right away: nothing due, both coming up in 10 minutes.
  await open('#/');
  await page.waitForSelector('[data-testid="home"]', { timeout: 30000 });
  assert.match(await page.locator('[data-testid="review-link"]').innerText(), /nothing due now, 2 questions coming up/);
  await page.click('[data-testid="review-link"]');
  await page.waitForSelector('[data-testid="review"]');
  await page.waitForSelector('[data-testid="nothing-due"]');
  const upcoming = await page.locator('[data-testid="upcoming"]').innerText();
  assert.match(upcoming, /in 10 minutes/);
  assert.match(upcoming, /who is inside/);

  // Eleven minutes later both are due.
  await shiftClock(11 * MINUTE);
  await open('#/');
  await page.waitForSelector('[data-testid="home"]', { timeout: 30000 });
  assert.match(await page.locator('[data-testid="review-link"]').innerText(), /2 questions due now/);
  await open('#/review');
  const predict = page.locator(`[data-testid="review-${LESSON}-inside"]`);
  await predict.waitFor({ timeout: 30000 });
  // Its run arrives from the worker, with a seed that is not the lesson's (1).
  const seedLine = predict.locator('[data-testid="review-run-seed"]');
  await seedLine.waitFor({ timeout: 60000 });
  const seed = Number(await predict.getAttribute('data-seed'));
  assert.ok(Number.isInteger(seed) && seed !== 1, `a fresh seed: ${seed}`);
  assert.match(await seedLine.innerText(), new RegExp(`new run with seed ${seed}`));
  // The whole run up to the moment asked about, from its first event, in a
  // box that opens at its end (that moment) and scrolls back to the start.
  const events = predict.locator('[data-testid="review-run-events"]');
  const lines = (await events.locator('pre').innerText()).split('\n');
  assert.equal(lines.length, Number(await events.getAttribute('data-events')));
  assert.ok(lines.length > 25, `more than the last 25 events: ${lines.length}`);
  assert.match(lines[0], /^\s*0\.0 ms /, 'from the start of the run');
  const scroll = await events.evaluate((el) => ({
    top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight,
  }));
  assert.ok(scroll.height > scroll.client, 'the run scrolls');
  assert.ok(Math.abs(scroll.top) < 2, `it opens at its end (scrollTop ${scroll.top} of ${scroll.height})`);
  await predict.scrollIntoViewIfNeeded();
  await screenshot('review-due.png');
  await page.screenshot({ path: path.join(output, 'review-due-item.png'), clip: await predict.boundingBox() });

  // A wrong prediction, picked as in the lesson with a click, is graded
  // on this run: its answer is this run's.
  const options = predict.locator('[data-testid="review-option"]');
  assert.deepEqual(await options.allInnerTexts(), ['client-2', 'client-1, client-2']);
  await options.filter({ hasText: /^client-2$/ }).click();
  const graded = predict.locator('[data-testid="review-verdict"]');
  await graded.waitFor();
  assert.match(await graded.getAttribute('class'), /wrong/);
  assert.match(await graded.innerText(), /You said client-2; the run shows /);
  assert.equal(await options.first().isDisabled(), true, 'the options are spent');
  assert.match(await graded.innerText(), /Back in 10 minutes \(box 1 of 5\)/);
  assert.equal(await predict.locator('[data-testid="review-check"]').count(), 0, 'one answer per review');

  // The choice question, answered right, moves up to box 2: back in a day.
  const choice = page.locator(`[data-testid="review-${LESSON}-purpose"]`);
  await choice.locator('input').nth(0).check();
  await choice.locator('[data-testid="review-check"]').click();
  const right = choice.locator('[data-testid="review-verdict"]');
  await right.waitFor();
  assert.match(await right.getAttribute('class'), /right/);
  assert.match(await right.innerText(), /Back in 1 day \(box 2 of 5\)/);
  await page.waitForSelector('[data-testid="review-done"]');
  await screenshot('review-answered.png');

  // Ten more minutes: the predict question is due again, on another seed.
  await shiftClock(22 * MINUTE);
  await open('#/review');
  await predict.waitFor({ timeout: 30000 });
  await predict.locator('[data-testid="review-run-seed"]').waitFor({ timeout: 60000 });
  const second = Number(await predict.getAttribute('data-seed'));
  assert.ok(second !== seed && second !== 1, `another fresh seed: ${second}`);
  assert.equal(await choice.count(), 0, 'the choice is not due for a day');
  assert.match(await page.locator('[data-testid="upcoming"]').innerText(), /box 2 of 5/);
  assert.deepEqual(problems, []);
});

test('progress downloads as a file and an import after a wipe brings it all back', async () => {
  await open('#/review');
  await page.waitForSelector('[data-testid="review"]');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid="export-progress"]'),
  ]);
  assert.equal(download.suggestedFilename(), 'lockstep-progress.json');
  const file = path.join(output, 'lockstep-progress.json');
  await download.saveAs(file);
  const saved = JSON.parse(await fs.readFile(file, 'utf8'));
  assert.equal(saved.version, 3);
  assert.ok(saved.lessons[LESSON].cards.inside, 'the review schedule is in the file');

  // The browser forgets everything (its clock is then 40 minutes on, so
  // the question missed last comes due again).
  await page.evaluate(() => localStorage.clear());
  await shiftClock(40 * MINUTE);
  await open('#/');
  await page.waitForSelector('[data-testid="home"]', { timeout: 30000 });
  assert.match(await page.locator(`[data-testid="lesson-${LESSON}"]`).innerText(), /not started/);

  // A file that is not progress is refused, and nothing changes.
  await open('#/review');
  await page.waitForSelector('[data-testid="review"]');
  await page.setInputFiles('[data-testid="import-progress"]', {
    name: 'notes.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"hello": "world"}'),
  });
  await page.waitForSelector('[data-testid="import-note"]');
  assert.match(await page.locator('[data-testid="import-note"]').innerText(), /not Lockstep progress/);

  await page.setInputFiles('[data-testid="import-progress"]', file);
  await page.waitForFunction(() =>
    /Imported: 1 new lesson/.test(document.querySelector('[data-testid="import-note"]')?.textContent ?? ''),
  );
  // What the file brought that is due now is listed at once, on a new run.
  const back = page.locator(`[data-testid="review-${LESSON}-inside"]`);
  await back.locator('[data-testid="review-run-seed"]').waitFor({ timeout: 60000 });
  await screenshot('review-imported.png');
  await open('#/');
  await page.waitForSelector('[data-testid="home"]', { timeout: 30000 });
  const card = await page.locator(`[data-testid="lesson-${LESSON}"]`).innerText();
  assert.match(card, /1\/6 right/);
  assert.match(card, /1 to retry/);
  assert.match(await page.locator('[data-testid="review-link"]').innerText(), /coming up|due now/);

  // Importing the same file again loses nothing and takes nothing new.
  await open('#/review');
  await page.waitForSelector('[data-testid="review"]');
  await page.setInputFiles('[data-testid="import-progress"]', file);
  await page.waitForFunction(() =>
    /Imported: 0 new lessons, 0 answers/.test(document.querySelector('[data-testid="import-note"]')?.textContent ?? ''),
  );
  // The question due is on show with its run (the worker has loaded).
  await back.locator('[data-testid="review-run-seed"]').waitFor({ timeout: 60000 });
  assert.deepEqual(problems, []);
});

test('lessons whose myths matched a real Redis carry the badge on the home', async () => {
  await open('#/');
  await page.waitForSelector('[data-testid="home"]', { timeout: 30000 });
  const checked = page.locator('[data-testid="lesson-locks/setnx-then-expire"] [data-testid="fidelity-badge"]');
  assert.match(await checked.innerText(), /checked against Redis 7\.0/);
  // The GC-pause lesson has no myth transcript: no badge.
  assert.equal(await page.locator(`[data-testid="lesson-${LESSON}"] [data-testid="fidelity-badge"]`).count(), 0);
  await screenshot('home-badges.png');
  assert.deepEqual(problems, []);
});
