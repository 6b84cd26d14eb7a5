// End-to-end tests of the lessons: the home, a lock lesson played to its
// violation with its predict questions answered right and wrong, the
// interview walk-through, progress kept across a reload, an embed, and
// forged lesson links.
//
// Run after `trunk build --release`:  node --test tests/e2e/lessons.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { output, startBrowser } from './browser.mjs';

const LESSON = 'locks/gc-pause-past-the-ttl';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

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

/** Opens a lesson and waits for its run to be on show. */
async function openLesson(hash) {
  await open(hash);
  await page.waitForSelector('.lesson-run #step-label', { timeout: 30000 });
}

/** "Step 5 of 100" -> [5, 100]. */
async function stepLabel() {
  const text = await page.locator('#step-label').innerText();
  const m = text.match(/Step (\d+) of (\d+)/);
  assert.ok(m, `step label: ${text}`);
  return [Number(m[1]), Number(m[2])];
}

test('the home says what Lockstep is and lists the lock track with search and tags', async () => {
  await open('');
  await page.waitForSelector('[data-testid="home"]', { timeout: 30000 });
  assert.match(await page.locator('.hero-lede').innerText(), /model of Redis 7/);
  // A first visit is pointed at the first lesson.
  assert.match(await page.locator('[data-testid="start-here"]').innerText(), /^Start here: /);
  const cards = page.locator('.lesson-card');
  const all = await cards.count();
  assert.ok(all >= 8, `${all} lessons listed`);
  const gc = page.locator(`[data-testid="lesson-${LESSON}"]`);
  assert.match(await gc.innerText(), /GC pause/);
  assert.match(await gc.innerText(), /intermediate/);
  assert.match(await gc.innerText(), /15 min/);
  assert.match(await gc.innerText(), /not started/);
  await screenshot('lessons-home.png');
  // Search narrows the list; a tag filters it; nothing matching says so.
  await page.fill('[data-testid="search"]', 'fencing');
  const found = await cards.count();
  assert.ok(found > 0 && found < all, `${found} of ${all} match "fencing"`);
  await page.fill('[data-testid="search"]', 'zzzz no such words');
  await page.waitForSelector('[data-testid="no-match"]');
  await page.fill('[data-testid="search"]', '');
  await page.selectOption('[data-testid="tag-filter"]', 'fencing token');
  assert.ok((await cards.count()) < all);
  await page.selectOption('[data-testid="tag-filter"]', '');
  assert.equal(await cards.count(), all);
  // The lab and the console stay one click away.
  await page.click('[data-testid="nav-lab"]');
  await page.waitForSelector('.lab #step-label', { timeout: 30000 });
  await page.waitForSelector('#console-input');
  await page.click('[data-testid="nav-lessons"]');
  await page.waitForSelector('[data-testid="home"]');
});

test('a lock lesson stops at its predict questions, grades them, and steps to its violation', async () => {
  await open('#/');
  await page.click(`[data-testid="lesson-${LESSON}"] .lesson-link`);
  await page.waitForSelector('.lesson-run #step-label', { timeout: 30000 });
  // The run is the lab's picture by default; its table is one click away.
  await page.waitForSelector('.lesson-run [data-testid="view-picture"][aria-pressed="true"]');
  assert.ok((await page.locator('.lesson-run svg').count()) > 0, 'the picture is drawn');
  await page.click('.lesson-run [data-testid="view-table"]');
  await page.waitForSelector('.lesson-run .tl-row');
  assert.match(await page.locator('.player-title').innerText(), /The GC pause past the TTL/);
  // The article is rendered Markdown: a heading of its own, inline code.
  assert.equal(await page.locator('.lesson-article h2', { hasText: 'Fencing tokens' }).count(), 1);
  assert.ok((await page.locator('.lesson-article p code').count()) > 0);

  // "Last step" stops just before the first predict question's moment.
  const [, last] = await stepLabel();
  await page.click('button[aria-label="Last step"]');
  await page.waitForSelector('[data-testid="run-stopped"]');
  const [stoppedAt] = await stepLabel();
  assert.ok(stoppedAt < last, `stopped at ${stoppedAt} of ${last}`);
  assert.match(await page.locator('[data-testid="run-stopped"]').innerText(), /who is inside/);
  // The arrow key cannot step past it either.
  await page.keyboard.press('ArrowRight');
  assert.equal((await stepLabel())[0], stoppedAt);
  // Notes appear at their step: the pause's note is up by now.
  assert.match(await page.locator('[data-testid="notes"]').innerText(), /freezes inside the critical section/);

  // Answer it wrong: the run's answer is revealed and the gate opens.
  await page.locator('[data-testid="question-inside"] button', { hasText: /^client-2$/ }).click();
  const inside = page.locator('[data-testid="verdict-inside"]');
  await inside.waitFor();
  assert.match(await inside.getAttribute('class'), /wrong/);
  assert.match(await inside.innerText(), /the run shows client-1, client-2/);
  await page.click('[data-testid="question-inside"] .show-me');
  const [shown] = await stepLabel();
  assert.equal(shown, stoppedAt + 1, 'the moment the question was about');

  // On to the violation, then the next question's gate.
  await page.click('[data-testid="to-violation"]');
  assert.match(await page.locator('.lesson-run .tl-row.current').getAttribute('class'), /t-violation/);
  const [violation] = await stepLabel();
  assert.ok(violation > stoppedAt);
  await page.click('button[aria-label="Last step"]');
  await page.waitForSelector('[data-testid="run-stopped"]');
  assert.match(await page.locator('[data-testid="run-stopped"]').innerText(), /storage/);

  // Answer the stale-write question right: the run plays to its end.
  await page.locator('[data-testid="question-stale"] button', { hasText: /^accepted$/ }).click();
  const stale = page.locator('[data-testid="verdict-stale"]');
  await stale.waitFor();
  assert.match(await stale.getAttribute('class'), /right/);
  await page.click('button[aria-label="Last step"]');
  assert.equal((await stepLabel())[0], last);
  assert.equal(await page.locator('[data-testid="run-stopped"]').count(), 0);
  // The address names the step.
  assert.equal(new URL(page.url()).hash, `#/lesson/${LESSON}?step=${last}`);
  await page.locator('[data-testid="question-stale"]').scrollIntoViewIfNeeded();
  await screenshot('lesson-answered.png', false);

  // An explain question: text, then the rubric, then the model answer.
  await page.fill('#q5-explain', 'A growing token per lock, checked by the storage.');
  await page.click('[data-testid="explain-submit-5"]');
  await page.check('#q5-r0');
  await page.click('[data-testid="explain-grade-5"]');
  const explain = page.locator('[data-testid="verdict-explain"]');
  await explain.waitFor();
  assert.match(await explain.innerText(), /Missing:/);
  // Back to the picture for the look of the page.
  await page.click('.lesson-run [data-testid="view-picture"]');
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot('lesson-player.png', false);
});

test('a fix is graded in the worker both ways: a Lua error at its line, the start fails, Cancel, the model passes', async () => {
  const fix = page.locator('[data-testid="question-fix"]');
  const editor = fix.locator('textarea');
  const verdict = page.locator('[data-testid="verdict-fix"]');
  const start = await editor.inputValue();
  assert.match(start, /lock\.acquire/, 'the starting code is the client program');
  // A syntax error on line 2: Lua's message names it, the gutter marks it.
  await editor.fill('local lock = require("lock")\nif then\n');
  await page.click('[data-testid="fix-grade-4"]');
  await verdict.waitFor({ timeout: 60000 });
  assert.match(await verdict.getAttribute('class'), /wrong/);
  assert.match(await verdict.innerText(), /Lua cannot read it/);
  assert.match(await fix.locator('.q-problem').innerText(), /line 2/);
  assert.equal(await fix.locator('.fix-gutter .error-line').innerText(), '2');
  // The starting code does not pass.
  await editor.fill(start);
  await page.click('[data-testid="fix-grade-4"]');
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid="verdict-fix"]');
    return v && !/Lua cannot read it/.test(v.innerText);
  }, null, { timeout: 120000 });
  assert.match(await verdict.getAttribute('class'), /wrong/);
  // The lesson's model answer (read from the lesson file): the explorer
  // tries its whole budget, which takes long enough to cancel.
  const file = await fs.readFile(path.join(root, 'lessons', 'locks', '04-gc-pause-past-the-ttl.md'), 'utf8');
  const model = file.match(/id = "fix"[\s\S]*?model = '''\n([\s\S]*?)'''/)[1];
  await editor.fill(model);
  await page.click('[data-testid="fix-grade-4"]');
  await page.locator('[data-testid="fix-grading-4"]').waitFor();
  await fix.locator('button', { hasText: 'Cancel' }).click();
  assert.match(await fix.locator('.q-problem').innerText(), /cancelled/);
  // Graded again, to the end, in a new worker: it passes.
  const started = Date.now();
  await page.click('[data-testid="fix-grade-4"]');
  await verdict.waitFor({ timeout: 180000 });
  assert.match(await verdict.getAttribute('class'), /right/, await verdict.innerText());
  console.log(`fix graded by the explorer in the worker: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test('interview mode: the question first, each follow-up run, then the rubric and a model answer', async () => {
  await page.click('[data-testid="mode-interview"]');
  await page.fill('[data-testid="interview-answer"]', '');
  await page.click('[data-testid="interview-submit"]');
  assert.match(await page.locator('[data-testid="interview"] .q-problem').innerText(), /own words/);
  await page.fill(
    '[data-testid="interview-answer"]',
    'The key expires during the pause, another process takes the lock; use fencing tokens.',
  );
  await page.click('[data-testid="interview-submit"]');
  const followUps = await page.evaluate(() => document.querySelectorAll('[data-testid^="follow-up-"]').length);
  assert.ok(followUps >= 1);
  for (let k = 0; ; k++) {
    const step = page.locator(`[data-testid="follow-up-${k}"]`);
    if ((await step.count()) === 0) break;
    await page.click(`[data-testid="follow-up-run-${k}"]`);
    const verdicts = step.locator('[data-testid="follow-up-verdicts"]');
    await verdicts.waitFor({ timeout: 30000 });
    assert.match(await verdicts.innerText(), /mutual_exclusion\(report\)/);
    await page.click(`[data-testid="follow-up-next-${k}"]`);
  }
  // The fencing follow-up: mutual exclusion still broken, no stale write.
  const fenced = await page.locator('[data-testid="follow-up-1"] li').allInnerTexts();
  assert.ok(fenced.some((t) => /VIOLATED/.test(t) && /mutual_exclusion/.test(t)), fenced.join(' | '));
  assert.ok(fenced.some((t) => /held/.test(t) && /no_stale_writes/.test(t)), fenced.join(' | '));
  await page.waitForSelector('[data-testid="interview-rubric"]');
  const points = page.locator('[data-testid="interview-rubric"] input[type="checkbox"]');
  await points.nth(0).check();
  await points.nth(1).check();
  await page.click('[data-testid="interview-finish"]');
  const model = page.locator('[data-testid="interview-model"]');
  await model.waitFor();
  assert.match(await model.innerText(), /You covered 2 of \d+ points/);
  assert.match(await model.innerText(), /storage/);
  await page.locator('[data-testid="interview-rubric"]').scrollIntoViewIfNeeded();
  await screenshot('lesson-interview.png', false);
});

test('progress is kept across a reload: steps, answers, the wrong list, the interview', async () => {
  await open('#/');
  await page.waitForSelector('[data-testid="home"]');
  const progress = await page.locator(`[data-testid="lesson-${LESSON}"] [data-testid="lesson-progress"]`).innerText();
  assert.match(progress, /100% of the run/);
  assert.match(progress, /2\/6 right/, 'stale and the fix');
  assert.match(progress, /interview done/);
  const wrong = await page.locator('[data-testid="wrong-list"]').innerText();
  assert.match(wrong, /who is inside it/);
  assert.match(wrong, /Explain fencing tokens/);
  // No longer a first visit.
  assert.match(await page.locator('[data-testid="start-here"]').innerText(), /^From the start: /);
});

test('a lesson link opens at its step; an embed steps with space and PageDown', async () => {
  await openLesson(`#/lesson/${LESSON}?step=3`);
  assert.equal((await stepLabel())[0], 3);
  await openLesson(`#/lesson/${LESSON}?step=4&embed=1`);
  assert.equal(await page.locator('.masthead').count(), 0, 'compact chrome');
  assert.equal((await stepLabel())[0], 4);
  await page.keyboard.press('Space');
  assert.equal((await stepLabel())[0], 5);
  await page.keyboard.press('PageDown');
  assert.equal((await stepLabel())[0], 6);
  await page.keyboard.press('PageUp');
  assert.equal((await stepLabel())[0], 5);
  await page.setViewportSize({ width: 960, height: 540 });
  await screenshot('lesson-embed.png', false);
  await page.setViewportSize({ width: 1280, height: 860 });
  // The snippet names the step on show.
  await openLesson(`#/lesson/${LESSON}?step=7`);
  await page.click('[data-testid="copy-embed"]');
  const snippet = await page.locator('[data-testid="embed-snippet"]').inputValue();
  assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/#\/lesson\/locks\/gc-pause-past-the-ttl\?step=7&embed=1"/);
});

test('forged and unknown lesson links say so and lead home', async () => {
  for (const hash of [
    '#/lesson/locks/no-such-lesson',
    '#/lesson/<img src=x onerror=alert(1)>',
    '#/lesson/../../etc',
    '#/nowhere',
  ]) {
    await open(hash);
    const message = page.locator('[data-testid="not-found"]');
    await message.waitFor({ timeout: 30000 });
    assert.equal(await page.locator('img').count(), 0, hash);
    assert.ok((await message.locator('a[href="#/"]').count()) === 1, hash);
  }
  await page.click('[data-testid="not-found"] a[href="#/"]');
  await page.waitForSelector('[data-testid="home"]');
});

test('the page thread: long tasks on opening the home and a lesson (printed)', async () => {
  const longTasks = async () =>
    page.evaluate(
      () =>
        new Promise((resolve) => {
          const seen = [];
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) seen.push(Math.round(e.duration));
          }).observe({ type: 'longtask', buffered: true });
          setTimeout(() => resolve(seen), 500);
        }),
    );
  await open('#/');
  await page.waitForSelector('[data-testid="home"]');
  const home = await longTasks();
  await openLesson(`#/lesson/${LESSON}`);
  const lesson = await longTasks();
  console.log(`long tasks (ms) loading the home: [${home}]; loading a lesson: [${lesson}]`);
});

test('readable on a phone', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await open('#/');
  await page.waitForSelector('[data-testid="home"]');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the home is ${overflow}px wider than the phone`);
  await screenshot('lessons-home-phone.png', false);
  await openLesson(`#/lesson/${LESSON}`);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `the lesson is ${wide}px wider than the phone`);
  await screenshot('lesson-phone.png', false);
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('no console errors or failed requests', () => {
  assert.deepEqual(problems, []);
});
