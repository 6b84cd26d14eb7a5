// End-to-end tests of the lesson player's extras: "what if" (a parameter
// changed, run again in the worker, both runs on one time axis with their
// verdicts) and the "fix it" editor (Lua highlighted, the error marked at
// the line Lua reports, the run that breaks a failing answer loaded into
// the timeline), charts, the key inspector, and a console on a node forked
// at a step.
//
// Run after `trunk build --release`:  node --test tests/e2e/player-extras.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { output, startBrowser } from './browser.mjs';

const LESSON = 'locks/gc-pause-past-the-ttl';

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

/** Opens a lesson afresh and waits for its run to be on show. */
async function openLesson(hash) {
  await page.goto('about:blank');
  await page.goto(server.url + hash, { waitUntil: 'load' });
  await page.waitForSelector('.lesson-run #step-label', { timeout: 30000 });
}

/** Waits until the what-if panel has taken `n` runs back. */
async function whatIfRuns(n) {
  await page.waitForSelector(`[data-testid="what-if"][data-runs="${n}"]`, { timeout: 30000 });
}

/** A strip's verdicts: name -> held. */
async function verdicts(which) {
  const items = page.locator(`[data-testid="what-if-${which}"] .cmp-verdict`);
  const out = {};
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    out[await item.getAttribute('data-verdict')] = (await item.getAttribute('data-held')) === 'true';
  }
  return out;
}

/** The paused span of client-1 in a strip: [x, width, start_us, end_us]. */
async function pauseOf(which) {
  const span = page.locator(
    `[data-testid="what-if-${which}"] .cmp-lane[data-lane="client-1"] [data-span="paused"]`,
  );
  const rect = span.locator('rect');
  return [
    Number(await rect.getAttribute('x')),
    Number(await rect.getAttribute('width')),
    Number(await span.getAttribute('data-start-us')),
    Number(await span.getAttribute('data-end-us')),
  ];
}

test('what if: a shorter pause runs in the worker and is drawn beside the lesson on one time axis', async () => {
  await openLesson(`#/lesson/${LESSON}`);
  const panel = page.locator('[data-testid="what-if"]');
  await panel.scrollIntoViewIfNeeded();
  const pause = page.locator('[data-testid="what-if-knob-fault[0].duration_ms"]');
  const original = Number(await pause.inputValue());
  assert.ok(original > 0, `the lesson's pause is ${original} ms`);
  // A value that is not a number is refused with the parameter's name.
  await pause.fill('five seconds');
  await page.click('[data-testid="what-if-run"]');
  assert.match(await page.locator('[data-testid="what-if-problem"]').innerText(), /not a whole number/);
  // A third of the lesson's pause, run in the worker.
  const shorter = Math.round(original / 3);
  await pause.fill(String(shorter));
  const asked = Date.now();
  await page.click('[data-testid="what-if-run"]');
  await whatIfRuns(1);
  console.log(`what if: the changed run came back from the worker and was drawn in ${Date.now() - asked} ms`);
  await page.waitForSelector('[data-testid="what-if-result"]');
  const before = await verdicts('before');
  const after = await verdicts('after');
  assert.equal(before['mutual_exclusion(report)'], false, JSON.stringify(before));
  assert.equal(after['mutual_exclusion(report)'], true, JSON.stringify(after));
  assert.match(await page.locator('.what-if-summary').innerText(), /mutual_exclusion\(report\) from VIOLATED to held/);
  // Both pauses are as long as their scenarios say, and drawn to one scale:
  // width per microsecond is the same on both strips.
  const [x0, w0, s0, e0] = await pauseOf('before');
  const [x1, w1, s1, e1] = await pauseOf('after');
  assert.equal(e0 - s0, original * 1000);
  assert.equal(e1 - s1, shorter * 1000);
  const scale0 = w0 / (e0 - s0);
  const scale1 = w1 / (e1 - s1);
  assert.ok(Math.abs(scale0 - scale1) / scale0 < 0.01, `scales ${scale0} and ${scale1}`);
  assert.ok(Math.abs(x0 - x1) < 2 || s0 !== s1, 'pauses that start together start at one x');
  // The violation is flagged on the lesson's strip only.
  assert.ok((await page.locator('[data-testid="what-if-before"] .cmp-violation').count()) > 0);
  assert.equal(await page.locator('[data-testid="what-if-after"] .cmp-violation').count(), 0);
  // Side by side at 1280 px.
  const boxBefore = await page.locator('[data-testid="what-if-before"]').boundingBox();
  const boxAfter = await page.locator('[data-testid="what-if-after"]').boundingBox();
  assert.ok(boxAfter.x > boxBefore.x + boxBefore.width - 1, 'side by side');
  assert.ok(Math.abs(boxAfter.y - boxBefore.y) < 2);
  await panel.screenshot({ path: path.join(output, 'what-if-1280.png') });
  // One of the lesson's own variations, one click.
  const presets = page.locator('.what-if-preset');
  assert.ok((await presets.count()) > 0);
  await presets.first().click();
  await whatIfRuns(2);
  // On a phone the strips stack and nothing overflows the page.
  await page.setViewportSize({ width: 390, height: 844 });
  await panel.scrollIntoViewIfNeeded();
  const b = await page.locator('[data-testid="what-if-before"]').boundingBox();
  const a = await page.locator('[data-testid="what-if-after"]').boundingBox();
  assert.ok(a.y >= b.y + b.height - 1, 'stacked on a phone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page wider than the phone by ${overflow}px`);
  await panel.screenshot({ path: path.join(output, 'what-if-390.png') });
  await page.setViewportSize({ width: 1280, height: 860 });
  assert.deepEqual(problems, []);
});

test('fix it: Lua is highlighted, the error marked at its line, and a failing answer shows the run that breaks it', async () => {
  await openLesson(`#/lesson/${LESSON}`);
  const fix = page.locator('[data-testid="question-fix"]');
  await fix.scrollIntoViewIfNeeded();
  const editor = fix.locator('textarea');
  const highlight = fix.locator('[data-testid="fix-highlight"]');
  const start = await editor.inputValue();
  // The highlighted copy is the program, piece for piece.
  assert.equal(await highlight.textContent(), start + '\n');
  assert.ok((await highlight.locator('.lua-keyword', { hasText: 'local' }).count()) > 0);
  assert.ok((await highlight.locator('.lua-string').count()) > 0);
  assert.ok((await highlight.locator('.lua-number').count()) > 0);
  // Typing re-highlights: a comment, and an error Lua reports at line 3.
  await editor.fill('-- try again\nlocal lock = require("lock")\nif then\n');
  assert.equal(await highlight.locator('.lua-comment').first().innerText(), '-- try again');
  await page.click('[data-testid="fix-grade-4"]');
  await page.locator('[data-testid="verdict-fix"]').waitFor({ timeout: 60000 });
  assert.match(await fix.locator('.q-problem').innerText(), /line 3/);
  assert.equal(await fix.locator('.fix-gutter .error-line').innerText(), '3');
  assert.equal(await highlight.locator('.code-line.error-line').innerText(), 'if then');
  // A Lua syntax error has no run to show.
  assert.equal(await page.locator('[data-testid="fix-show-breaking-4"]').count(), 0);
  await fix.screenshot({ path: path.join(output, 'fix-editor-error.png') });
  // The lesson's starting code fails; the run that breaks it opens in the timeline.
  await editor.fill(start);
  await page.click('[data-testid="fix-grade-4"]');
  await page.locator('[data-testid="fix-show-breaking-4"]').waitFor({ timeout: 120000 });
  assert.match(await page.locator('[data-testid="verdict-fix"]').innerText(), /Not yet/);
  const runsBefore = Number(await page.locator('[data-testid="player"]').getAttribute('data-runs'));
  await page.click('[data-testid="fix-show-breaking-4"]');
  await page.locator('[data-testid="breaking-run"]').waitFor();
  const runsAfter = Number(await page.locator('[data-testid="player"]').getAttribute('data-runs'));
  assert.equal(runsAfter, runsBefore + 1, 'another run is on show');
  // It opens at its violation (or at a predict gate before it).
  const [step] = (await page.locator('#step-label').innerText()).match(/\d+/).map(Number);
  assert.ok(step > 0, `opened at step ${step}`);
  await page.locator('.lesson-run').screenshot({ path: path.join(output, 'fix-breaking-run.png') });
  // And back to the lesson's own run.
  await page.click('[data-testid="back-to-lesson"]');
  await page.waitForSelector(`[data-testid="player"][data-runs="${runsAfter + 1}"]`, { timeout: 30000 });
  assert.equal(await page.locator('[data-testid="breaking-run"]').count(), 0);
  assert.deepEqual(problems, []);
});

test('charts: a stampede shows the database load, a rate limiter its requests and limit, a long script the latency', async () => {
  await openLesson('#/lesson/patterns/cache-stampede');
  const load = page.locator('[data-testid="chart-db-load"]');
  await load.scrollIntoViewIfNeeded();
  const queries = Number(await load.locator('.chart-series').getAttribute('data-total'));
  assert.ok(queries > 1, `${queries} queries charted`);
  // One bar per window with queries; the busiest stands out (a stampede).
  const heights = await load.locator('.chart-series rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
  assert.ok(heights.length >= 1);
  await load.screenshot({ path: path.join(output, 'chart-db-load.png') });

  await openLesson('#/lesson/patterns/fixed-window');
  const rate = page.locator('[data-testid^="chart-rate-"]').first();
  await rate.scrollIntoViewIfNeeded();
  assert.ok(Number(await rate.locator('.chart-series.allowed').getAttribute('data-total')) > 0);
  await rate.screenshot({ path: path.join(output, 'chart-rate.png') });

  await openLesson('#/lesson/lua/long-scripts');
  const latency = page.locator('[data-testid="chart-script-latency"]');
  await latency.scrollIntoViewIfNeeded();
  assert.ok((await latency.locator('.chart-shade').count()) > 0, 'the busy script is shaded');
  assert.ok((await latency.locator('.chart-series circle').count()) > 0);
  await latency.screenshot({ path: path.join(output, 'chart-latency.png') });

  // A lock lesson has nothing to chart.
  await openLesson(`#/lesson/${LESSON}`);
  assert.equal(await page.locator('[data-testid="charts"]').count(), 0);
  assert.deepEqual(problems, []);
});

test('the key inspector marks what a step changed, and a console opens on the node forked at that step', async () => {
  await openLesson(`#/lesson/${LESSON}`);
  const lockRow = page.locator('[data-testid="key-row"][data-key="lock:report"]');
  // Step until the lock key appears: that step marks it new.
  await page.locator('#step-label').click();
  for (let i = 0; i < 80 && (await lockRow.count()) === 0; i++) {
    await page.keyboard.press('ArrowRight');
  }
  assert.equal(await lockRow.count(), 1, 'the lock key appears in the key inspector');
  assert.match(await lockRow.getAttribute('class'), /changed-new/);
  await page.locator('.world-fold summary').click();
  const value = (await lockRow.locator('.key-value').innerText()).trim();
  assert.match(await lockRow.innerText(), /ms/, 'its TTL is shown');
  // The step after: the same key, no longer marked as changed.
  await page.keyboard.press('ArrowRight');
  if ((await lockRow.count()) === 1) {
    assert.doesNotMatch((await lockRow.getAttribute('class')) ?? '', /changed-new/);
  }
  await page.keyboard.press('ArrowLeft');
  const [step] = (await page.locator('#step-label').innerText()).match(/\d+/).map(Number);
  // A console on redis, the world forked at this step.
  const asked = Date.now();
  await page.click('[data-testid="fork-redis"]');
  const consoleBox = page.locator('[data-testid="fork-console"]');
  await consoleBox.waitFor({ timeout: 30000 });
  console.log(`console at step ${step}: forked in the worker and opened in ${Date.now() - asked} ms`);
  assert.equal(Number(await consoleBox.getAttribute('data-step')), step);
  assert.match(await consoleBox.locator('.panel-title').innerText(), new RegExp(`Console on redis at step ${step}`, 'i'));
  const outputs = consoleBox.locator('.entry.output');
  const send = async (line) => {
    const before = await outputs.count();
    await page.fill('#console-input', line);
    await page.press('#console-input', 'Enter');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="fork-console"] .entry.output').length > n,
      before,
    );
    return (await outputs.last().innerText()).trim();
  };
  assert.equal(await send('GET lock:report'), value);
  const pttl = Number((await send('PTTL lock:report')).match(/\(integer\) (-?\d+)/)[1]);
  assert.ok(pttl > 0 && pttl <= 10000, `PTTL ${pttl}`);
  // Changes in the console do not touch the run.
  assert.equal(await send('DEL lock:report'), '(integer) 1');
  assert.equal(await lockRow.count(), 1, 'the run still has its lock');
  await consoleBox.screenshot({ path: path.join(output, 'fork-console.png') });
  await page.click('[data-testid="fork-close"]');
  assert.equal(await consoleBox.count(), 0);
  assert.deepEqual(problems, []);
});

/**
 * Makes the page report `cores` logical cores (navigator.hardwareConcurrency)
 * from its next load on; null gives the machine's own count back.
 */
let coresHooked = false;
async function pretendCores(cores) {
  if (!coresHooked) {
    coresHooked = true;
    await page.addInitScript(() => {
      const real = Object.getOwnPropertyDescriptor(Navigator.prototype, 'hardwareConcurrency').get;
      Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {
        configurable: true,
        get() {
          let wanted = null;
          try {
            wanted = localStorage.getItem('e2e-cores');
          } catch {
            // about:blank has no storage.
          }
          return wanted ? Number(wanted) : real.call(this);
        },
      });
    });
  }
  await page.evaluate((c) => {
    if (c === null) localStorage.removeItem('e2e-cores');
    else localStorage.setItem('e2e-cores', String(c));
  }, cores);
}

/**
 * An answer to the GC lesson's fix that holds without extra faults (its
 * write is refused early and it stands down) but crashes when a refusal
 * comes late: the explorer has to search to break it.
 */
const LATE_CRASH = `local lock = require("lock")
local id = uuid()
local token = lock.acquire_fenced("lock:report", id, 10000)
if not token then error("client-1 should get the lock first") end
enter("report")
work(1000)
local ok, why = write("storage", { id = uuid(), token = token, value = "report by client-1" })
if not ok and now() > 20000 then error("refused too late: " .. tostring(why)) end
leave("report")
lock.release("lock:report", id)
`;

/** Grades LATE_CRASH; its verdict, and the breaking run's step. */
async function gradeLateCrash() {
  await openLesson(`#/lesson/${LESSON}`);
  const fix = page.locator('[data-testid="question-fix"]');
  await fix.scrollIntoViewIfNeeded();
  await fix.locator('textarea').fill(LATE_CRASH);
  const started = Date.now();
  await page.click('[data-testid="fix-grade-4"]');
  await page.locator('[data-testid="fix-grading-4"]').waitFor({ timeout: 10000 });
  await page.locator('[data-testid="fix-show-breaking-4"]').waitFor({ timeout: 180000 });
  const seconds = (Date.now() - started) / 1000;
  const workers = Number(await page.evaluate(() => document.documentElement.dataset.gradingWorkers));
  const verdict = await page.locator('[data-testid="verdict-fix"]').innerText();
  await page.click('[data-testid="fix-show-breaking-4"]');
  await page.locator('[data-testid="breaking-run"]').waitFor();
  const step = (await page.locator('#step-label').innerText()).match(/\d+/g).map(Number);
  return { workers, verdict, step, seconds };
}

test('fix it: graded across several workers, it finds the same breaking run as one worker', async () => {
  await openLesson(`#/lesson/${LESSON}`);
  await pretendCores(1);
  const one = await gradeLateCrash();
  assert.equal(one.workers, 1);
  await pretendCores(3);
  const three = await gradeLateCrash();
  assert.equal(three.workers, 3, 'three cores, three workers');
  console.log(
    `fix graded: 1 worker ${one.seconds.toFixed(1)} s, 3 workers ${three.seconds.toFixed(1)} s`,
  );
  assert.match(one.verdict, /Not yet: the explorer broke it with \d+ fault/);
  assert.equal(three.verdict, one.verdict, 'the same faults, worded the same');
  assert.deepEqual(three.step, one.step, 'the breaking run opens at the same step of as long a run');
  await page.locator('.lesson-run').screenshot({ path: path.join(output, 'fix-graded-three-workers.png') });
  // Cancel stops every worker: the question says so and can be graded again.
  await openLesson(`#/lesson/${LESSON}`);
  await page.locator('[data-testid="question-fix"]').scrollIntoViewIfNeeded();
  await page.locator('[data-testid="question-fix"] textarea').fill(LATE_CRASH);
  await page.click('[data-testid="fix-grade-4"]');
  await page.click('[data-testid="fix-cancel-4"]');
  assert.match(await page.locator('[data-testid="question-fix"] .q-problem').innerText(), /cancelled/i);
  assert.equal(await page.locator('[data-testid="fix-grade-4"]').count(), 1);
  // Cancel terminates workers that may still be loading: their scripts'
  // fetches are aborted, which is expected; anything else is a problem.
  await pretendCores(null);
  await page.goto('about:blank');
  await page.waitForTimeout(1000);
  const aborted = /\.(js|wasm) \(net::ERR_ABORTED\)$/;
  const others = problems.filter((p) => !aborted.test(p));
  problems.splice(0, problems.length, ...others);
  assert.deepEqual(problems, []);
});

test('what if: the link keeps the change, so a reload shows the same side-by-side; a forged one is refused', async () => {
  await openLesson(`#/lesson/${LESSON}`);
  const pause = page.locator('[data-testid="what-if-knob-fault[0].duration_ms"]');
  await pause.scrollIntoViewIfNeeded();
  await pause.fill('5000');
  await page.click('[data-testid="what-if-run"]');
  await whatIfRuns(1);
  const before = await verdicts('after');
  assert.ok(Object.keys(before).length > 0, 'the changed run has verdicts');
  await page.waitForFunction(() => location.hash.includes('whatif='));
  const link = new URL(page.url()).hash;
  assert.match(link, /[?&]step=\d+&whatif=[A-Za-z0-9_-]+$/);

  // Reload from the link: the same change runs again beside the lesson.
  await openLesson(link);
  await whatIfRuns(1);
  assert.equal(await pause.inputValue(), '5000');
  assert.deepEqual(await verdicts('after'), before);
  assert.equal(await page.locator('[data-testid="what-if-problem"]').count(), 0);
  assert.match(new URL(page.url()).hash, /whatif=/, 'the link still carries it');
  await page.locator('[data-testid="what-if"]').screenshot({ path: path.join(output, 'what-if-from-link.png') });

  // A forged value: a sentence says so, and the lesson opens without it.
  for (const forged of ['not-base64!', 'eyJwcmVzZXQiOjk5fQ']) {
    await openLesson(`#/lesson/${LESSON}?step=2&whatif=${forged}`);
    const problem = page.locator('[data-testid="what-if-problem"]');
    await problem.waitFor();
    assert.match(await problem.innerText(), /the lesson opens without it/);
    assert.equal(await page.locator('[data-testid="what-if"]').getAttribute('data-runs'), '0');
    await page.waitForFunction(() => !location.hash.includes('whatif='));
  }
  await page.locator('[data-testid="what-if"]').screenshot({ path: path.join(output, 'what-if-forged-link.png') });
  assert.deepEqual(problems, []);
});

test('a forked console answers SELECT and EVALSHA of the run\'s own script as the run would', async () => {
  // lua/05: the client SCRIPT LOADs a counter, then calls it by EVALSHA.
  await openLesson('#/lesson/lua/evalsha-noscript');
  const visits = page.locator('[data-testid="key-row"][data-key="visits:today"]');
  await page.locator('#step-label').click();
  for (let i = 0; i < 120 && (await visits.count()) === 0; i++) {
    await page.keyboard.press('ArrowRight');
  }
  assert.equal(await visits.count(), 1, 'the counter appears in the key inspector');
  await page.locator('.world-fold summary').click().catch(() => {});
  const count = Number((await visits.locator('.key-value').innerText()).replace(/\D/g, ''));
  assert.ok(count >= 1, `the counter is ${count}`);
  await page.click('[data-testid="fork-redis"]');
  const consoleBox = page.locator('[data-testid="fork-console"]');
  await consoleBox.waitFor({ timeout: 30000 });
  const banner = await consoleBox.innerText();
  assert.match(banner, /script cache/);
  assert.match(banner, /Not carried/);
  const outputs = consoleBox.locator('.entry.output');
  const send = async (line) => {
    const before = await outputs.count();
    await page.fill('#console-input', line);
    await page.press('#console-input', 'Enter');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="fork-console"] .entry.output').length > n,
      before,
    );
    return (await outputs.last().innerText()).trim();
  };
  // The script the run loaded, by the sha the run's client used.
  const script = 'local n = redis.call("INCR", KEYS[1])\nif n == 1 then redis.call("EXPIRE", KEYS[1], 86400) end\nreturn n\n';
  const sha = createHash('sha1').update(script).digest('hex');
  assert.equal(await send(`SCRIPT EXISTS ${sha}`), '1) (integer) 1');
  assert.equal(await send(`EVALSHA ${sha} 1 visits:today`), `(integer) ${count + 1}`);
  // Other databases are there, and empty as in the run.
  assert.equal(await send('SELECT 1'), 'OK');
  assert.equal(await send('DBSIZE'), '(integer) 0');
  assert.equal(await send('SELECT 0'), 'OK');
  assert.equal(await send('GET visits:today'), `"${count + 1}"`);
  await consoleBox.screenshot({ path: path.join(output, 'fork-console-scripts.png') });
  assert.deepEqual(problems, []);
});
