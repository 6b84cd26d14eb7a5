// End-to-end tests of the embed kit: the example reveal.js deck drives a
// lesson through its fragments, forward and back, and the player keeps its
// state when the slide is left and re-entered; a page of another origin
// cannot drive an embedded player unless the embed link names it; dist/
// served under a sub-path loads with no failed request.
//
// Run after `trunk build --release`:  node --test tests/e2e/embed.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { output, startBrowser } from './browser.mjs';
import { serveDirectory } from './static-server.mjs';

const LESSON = 'locks/gc-pause-past-the-ttl';
const SLIDE = 'section[data-testid="gc-slide"]';
const PLAYER = `${SLIDE} lockstep-lesson`;

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

async function screenshot(name) {
  await page.screenshot({ path: path.join(output, name) });
}

/** The player's state once it has taken every command and its run is on show. */
async function readyState(predicate = 'true') {
  const handle = await page.waitForFunction(
    ([selector, test]) => {
      const el = document.querySelector(selector);
      if (!el || !el.ready) return null;
      const state = el.state;
      // eslint-disable-next-line no-new-func
      return new Function('state', `return ${test}`)(state) ? state : null;
    },
    [PLAYER, predicate],
    { timeout: 60000 },
  );
  return handle.jsonValue();
}

/** The deck player's frame (inside the element's shadow root). */
async function playerFrame() {
  const handle = await page.locator(PLAYER).evaluateHandle((el) => el.frame);
  return handle.asElement().contentFrame();
}

/** "Step N of M" in a frame, as numbers. */
async function stepLabel(frame) {
  const text = await frame.locator('#step-label').innerText();
  const [, step, last] = text.match(/Step (\d+) of (\d+)/);
  return [Number(step), Number(last)];
}

/** What a frame shows at its step: the step and the current note's step and text. */
async function onShow(frame) {
  const [step] = await stepLabel(frame);
  const note = frame.locator('.note.current');
  const current = (await note.count()) === 1;
  return {
    step,
    noteStep: current ? Number(await note.getAttribute('data-step')) : null,
    noteText: current ? await note.innerText() : null,
  };
}

async function press(key) {
  await page.keyboard.press(key);
}

/** A fresh load of `url` (a goto that only changes the hash would not reload). */
async function open(url) {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load' });
}

test('the example deck drives the lesson by fragments, forward and back, and keeps its state across slides', async () => {
  await open(server.url + 'examples/index.html');
  await page.waitForFunction(() => window.Reveal?.isReady?.());
  await press('ArrowRight');
  assert.equal(await page.evaluate(() => Reveal.getIndices().h), 1);
  const start = await readyState('state.step === 0');
  assert.equal(start.lesson, LESSON);
  assert.ok(start.last > 10, `a run of ${start.last} steps`);
  const frame = await playerFrame();
  assert.equal((await stepLabel(frame))[0], 0);
  await screenshot('embed-deck-start.png');

  // Each fragment names one of the lesson's notes by its selector: the
  // player goes to that event, and shows that note as current.
  const fragments = await page.locator(`${SLIDE} .fragment`).count();
  assert.equal(fragments, 4);
  const seen = [];
  let previous = 0;
  for (let i = 0; i < fragments; i += 1) {
    await press('ArrowRight');
    const state = await readyState(`state.step > ${previous}`);
    const shown = await onShow(frame);
    assert.equal(shown.step, state.step, 'the page shows the announced step');
    assert.equal(shown.noteStep, state.step, `fragment ${i + 1} lands on a note's event`);
    assert.ok(!seen.some((s) => s.noteText === shown.noteText), 'a new note each time');
    assert.equal(typeof state.timeUs, 'number');
    seen.push({ step: state.step, noteText: shown.noteText, timeUs: state.timeUs });
    previous = state.step;
    if (i === 1) await screenshot('embed-deck-fragment-2.png');
  }
  for (let i = 1; i < seen.length; i += 1) {
    assert.ok(seen[i].timeUs >= seen[i - 1].timeUs, 'time moves forward with the steps');
  }

  // Back through the fragments: each hidden one takes the player back.
  for (let i = fragments - 2; i >= 0; i -= 1) {
    await press('ArrowLeft');
    const state = await readyState(`state.step === ${seen[i].step}`);
    assert.equal((await onShow(frame)).noteText, seen[i].noteText);
    assert.equal(state.verdicts, null, 'verdicts stay hidden before the end');
  }
  await press('ArrowLeft');
  await readyState('state.step === 0');
  assert.equal((await stepLabel(frame))[0], 0);
  for (let i = 0; i < fragments; i += 1) await press('ArrowRight');
  await readyState(`state.step === ${seen[fragments - 1].step}`);

  // A step taken inside the player by hand, and a mark in its window: both
  // must survive leaving the slide and coming back (no reload).
  await frame.evaluate(() => {
    window.lockstepMark = 'kept';
  });
  await frame.locator('button[aria-label="Next step"]').click();
  const byHand = seen[fragments - 1].step + 1;
  await readyState(`state.step === ${byHand}`);
  // The keys go to the deck again once the presenter clicks on the slide.
  await page.click(`${SLIDE} h2`);
  await press('ArrowRight');
  assert.equal(await page.evaluate(() => Reveal.getIndices().h), 2);
  await page.waitForTimeout(500);
  await press('ArrowLeft');
  assert.equal(await page.evaluate(() => Reveal.getIndices().h), 1);
  await page.waitForTimeout(500);
  const back = await readyState();
  assert.equal(back.step, byHand, 'the player is where it was left');
  assert.equal((await stepLabel(frame))[0], byHand);
  assert.equal(await frame.evaluate(() => window.lockstepMark), 'kept', 'the frame was not reloaded');
  await screenshot('embed-deck-returned.png');
  // The fragments still drive it after the return.
  await press('ArrowLeft');
  await readyState(`state.step === ${seen[fragments - 2].step}`);
  assert.deepEqual(problems, []);
});

test('the example deck applies a "what if" from a fragment', async () => {
  await open(server.url + 'examples/index.html#/3');
  await page.waitForFunction(() => window.Reveal?.isReady?.());
  const player = page.locator('section:nth-of-type(4) lockstep-lesson');
  const ready = (test) =>
    page.waitForFunction(
      ([test]) => {
        const el = document.querySelector('section:nth-of-type(4) lockstep-lesson');
        // eslint-disable-next-line no-new-func
        return el?.ready && new Function('state', `return ${test}`)(el.state) ? el.state : null;
      },
      [test],
      { timeout: 60000 },
    ).then((h) => h.jsonValue());
  const before = await ready('state.step > 0');
  assert.equal(before.variation, null);
  await press('ArrowRight');
  const after = await ready('state.variation !== null');
  assert.equal(after.variation, 'followUp 1');
  assert.equal(after.lesson, LESSON);
  // The frame says which run is on show, and no lesson note (written for
  // the lesson's own run) describes this one.
  const frame = await (await player.evaluateHandle((el) => el.frame)).asElement().contentFrame();
  assert.equal(await frame.locator('[data-testid="embed-variation"]').innerText(), 'And with fencing?');
  assert.equal(await frame.locator('.note').count(), 0);
  await screenshot('embed-deck-what-if.png');
  assert.deepEqual(problems, []);
});

test('an instructor copies the example deck and points a slide at another lesson, as web/examples/README.md says', async () => {
  // README step 2: the deck copied next to itself, one slide edited to
  // another lesson, with a fragment for each way of naming a place.
  const examples = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'dist', 'examples');
  const deck = await fs.readFile(path.join(examples, 'index.html'), 'utf8');
  const slide = `<section data-testid="my-slide">
          <h2>Five limiters, one boundary burst</h2>
          <lockstep-lesson lesson="patterns/limiters-side-by-side" step="3" height="440"></lockstep-lesson>
          <p class="fragment" data-lockstep-step="10">The first requests.</p>
          <p class="fragment" data-lockstep-note="1">The sliding log says no.</p>
          <p class="fragment" data-lockstep-at='fixed-window outcome text="allowed" last'>The fixed window lets the tenth through.</p>
          <p class="fragment" data-lockstep-at="nobody enter">A selector with a typo.</p>
        </section>`;
  const mine = deck.replace(/<section data-testid="gc-slide">[\s\S]*?<\/section>/, slide);
  assert.notEqual(mine, deck, 'the example has the slide the README edits');
  const file = path.join(examples, 'my-talk.html');
  await fs.writeFile(file, mine);
  const warnings = [];
  const onConsole = (msg) => msg.type() === 'warning' && warnings.push(msg.text());
  page.on('console', onConsole);
  try {
    await open(server.url + 'examples/my-talk.html#/1');
    await page.waitForFunction(() => window.Reveal?.isReady?.());
    const player = 'section[data-testid="my-slide"] lockstep-lesson';
    const state = (test) =>
      page
        .waitForFunction(
          ([player, test]) => {
            const el = document.querySelector(player);
            // eslint-disable-next-line no-new-func
            return el?.ready && new Function('state', `return ${test}`)(el.state) ? el.state : null;
          },
          [player, test],
          { timeout: 60000 },
        )
        .then((h) => h.jsonValue());
    const start = await state('state.step === 3');
    assert.equal(start.lesson, 'patterns/limiters-side-by-side');
    const frame = await (await page.locator(player).evaluateHandle((el) => el.frame)).asElement().contentFrame();
    const current = frame.locator('.note.current');
    await press('ArrowRight');
    await state('state.step === 10');
    await press('ArrowRight');
    const noted = await state('state.step > 10');
    await current.filter({ hasText: 'The sliding log turns away' }).waitFor();
    await press('ArrowRight');
    await state(`state.step > ${noted.step}`);
    await current.filter({ hasText: "The fixed window's tenth allowed request" }).waitFor();
    await screenshot('embed-instructor-deck.png');
    const atEvent = (await state('true')).step;
    // A selector that matches nothing leaves the player where it was and
    // says why in the console, where a rehearsal finds it.
    await press('ArrowRight');
    for (let i = 0; i < 100 && !warnings.some((w) => w.includes('nobody')); i += 1) {
      await page.waitForTimeout(100);
    }
    const refused = warnings.find((w) => w.startsWith('lockstep-reveal:'));
    assert.match(refused ?? '', /patterns\/limiters-side-by-side.*nobody/, warnings.join('\n'));
    assert.equal((await state('true')).step, atEvent);
    assert.deepEqual(problems, []);
  } finally {
    page.off('console', onConsole);
    await fs.rm(file, { force: true });
  }
});

/** A page of its own origin (a second server) that frames `src`. */
async function otherOriginPage() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lockstep-e2e-parent-'));
  await fs.writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another site</title>
<link rel="icon" href="data:,"></head><body>
<h1>Another site framing Lockstep</h1>
<iframe id="player" width="960" height="540" style="border:1px solid #999"></iframe>
<script>
  window.states = [];
  window.errors = [];
  window.addEventListener('message', (e) => {
    if (!e.data || e.data.lockstep !== 1) return;
    (e.data.type === 'state' ? window.states : window.errors).push({ origin: e.origin, data: e.data });
  });
  window.command = (c) => document.getElementById('player').contentWindow
    .postMessage(Object.assign({ lockstep: 1 }, c), '*');
  document.getElementById('player').src = new URLSearchParams(location.search).get('src');
</script></body></html>`,
  );
  const other = await serveDirectory(dir);
  return {
    url: other.url,
    origin: new URL(other.url).origin,
    async close() {
      await other.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

test('a page of another origin cannot drive the player unless the embed link trusts it', async () => {
  const other = await otherOriginPage();
  try {
    assert.notEqual(other.origin, new URL(server.url).origin, 'two origins');
    const frame = async (extra) => {
      const src = `${server.url}#/lesson/${LESSON}?step=2&embed=1${extra}`;
      await open(`${other.url}?src=${encodeURIComponent(src)}`);
      const frame = page.frameLocator('#player');
      await frame.locator('#step-label').filter({ hasText: /^Step 2 of/ }).waitFor({ timeout: 60000 });
      return frame;
    };
    // Not named, or another origin named: commands are ignored, nothing is announced.
    for (const extra of ['', '&origin=https%3A%2F%2Fslides.example']) {
      const framed = await frame(extra);
      for (let i = 0; i < 6; i += 1) {
        await page.evaluate(() => window.command({ command: 'go', step: 6 }));
        await page.evaluate(() => window.command({ command: 'next' }));
        await page.waitForTimeout(250);
      }
      assert.match(await framed.locator('#step-label').innerText(), /^Step 2 of/, `untrusted (${extra || 'none named'})`);
      assert.deepEqual(await page.evaluate(() => [window.states.length, window.errors.length]), [0, 0]);
    }
    await screenshot('embed-other-origin-ignored.png');
    // The same page, named in the link: obeyed, and told the state.
    const trusted = await frame(`&origin=${encodeURIComponent(other.origin)}`);
    await page.evaluate(() => window.command({ command: 'go', step: 6 }));
    await trusted.locator('#step-label').filter({ hasText: /^Step 6 of/ }).waitFor({ timeout: 30000 });
    const state = await page.waitForFunction(() => window.states.find((s) => s.data.step === 6), null, {
      timeout: 30000,
    });
    assert.equal((await state.jsonValue()).origin, new URL(server.url).origin);
    // The other commands, through the same wiring: each answered by a state.
    const latest = (test) =>
      page
        .waitForFunction(
          ([test]) => {
            const s = window.states.at(-1)?.data;
            // eslint-disable-next-line no-new-func
            return s && !s.running && new Function('state', `return ${test}`)(s) ? s : null;
          },
          [test],
          { timeout: 60000 },
        )
        .then((h) => h.jsonValue());
    await page.evaluate(() => window.command({ command: 'next' }));
    await latest('state.step === 7');
    await page.evaluate(() => window.command({ command: 'go', at: 'client-2 enter' }));
    const entered = await latest('state.step > 7');
    await trusted.locator('.note.current').filter({ hasText: 'client-2 takes the lock' }).waitFor();
    await page.evaluate(() => window.command({ command: 'play', intervalMs: 100 }));
    const playing = await latest('state.playing && state.step > ' + entered.step);
    await page.evaluate(() => window.command({ command: 'pause' }));
    const paused = await latest('!state.playing');
    await page.waitForTimeout(400);
    assert.equal((await latest('true')).step, paused.step, 'pause stops the steps');
    assert.ok(paused.step >= playing.step);
    await page.evaluate(() => window.command({ command: 'load', story: 'clock_jump' }));
    const story = await latest("state.story === 'clock_jump' && state.step !== null");
    assert.equal(story.lesson, LESSON);
    await trusted.locator('[data-testid="embed-variation"]').filter({ hasText: /^Story: / }).waitFor();
    await page.evaluate(() => window.command({ command: 'reset' }));
    const reset = await latest('state.story === null && state.step === 0');
    assert.equal(reset.variation, null);
    assert.equal(await trusted.locator('[data-testid="embed-variation"]').count(), 0);
    await page.evaluate(() => window.command({ command: 'load', lesson: 'locks/redlock', step: 1 }));
    const redlock = await latest("state.lesson === 'locks/redlock' && state.step === 1");
    assert.equal(redlock.received, 0, 'a new page in the frame counts anew');
    await page.evaluate(() => window.command({ command: 'next' }));
    await latest("state.lesson === 'locks/redlock' && state.step === 2");
    await page.evaluate(() => window.command({ command: 'fly' }));
    const error = await page.waitForFunction(() => window.errors[0]?.data.message, null, { timeout: 30000 });
    assert.match(await error.jsonValue(), /"fly" is not a command/);
    assert.deepEqual(problems, []);
  } finally {
    await other.close();
  }
});

test('origin=* lets any page drive the player, and a "what if" with changed fields runs that variation', async () => {
  const other = await otherOriginPage();
  try {
    const src = `${server.url}#/lesson/${LESSON}?step=2&embed=1&origin=*`;
    await open(`${other.url}?src=${encodeURIComponent(src)}`);
    const framed = page.frameLocator('#player');
    await framed.locator('#step-label').filter({ hasText: /^Step 2 of/ }).waitFor({ timeout: 60000 });
    const latest = (test) =>
      page
        .waitForFunction(
          ([test]) => {
            const s = window.states.at(-1)?.data;
            // eslint-disable-next-line no-new-func
            return s && !s.running && new Function('state', `return ${test}`)(s) ? s : null;
          },
          [test],
          { timeout: 60000 },
        )
        .then((h) => h.jsonValue());
    // A page no link names, trusted by `*`: obeyed and told the state.
    await page.evaluate(() => window.command({ command: 'go', step: 5 }));
    await framed.locator('#step-label').filter({ hasText: /^Step 5 of/ }).waitFor({ timeout: 30000 });
    const own = await latest('state.step === 5');
    // The player keeps `origin=*` in the address it rewrites at each step.
    const frame = page.frames().find((f) => f.url().includes('#/lesson/'));
    assert.match(decodeURIComponent(frame.url()), /[?&]origin=\*/, frame.url());

    // The lesson's own run breaks mutual exclusion: a 15 s pause past the TTL.
    await page.evaluate((last) => window.command({ command: 'go', step: last }), own.last);
    const lessonRun = await latest(`state.step === ${own.last} && state.verdicts !== null`);
    const exclusion = (state) => state.verdicts.find((v) => v.invariant === 'mutual_exclusion(report)');
    assert.equal(exclusion(lessonRun).held, false);

    // Changed fields (not a follow-up): a pause shorter than the TTL.
    await page.evaluate(() => window.command({ command: 'whatIf', change: { 'fault[0].duration_ms': 4000 } }));
    const changed = await latest("state.variation === 'fault[0].duration_ms=4000' && state.step !== null");
    assert.equal(changed.lesson, LESSON);
    assert.equal(changed.story, null);
    await framed.locator('[data-testid="embed-variation"]').waitFor();
    await page.evaluate((last) => window.command({ command: 'go', step: last }), changed.last);
    const end = await latest(`state.variation !== null && state.step === ${changed.last} && state.verdicts !== null`);
    assert.equal(exclusion(end).held, true, 'the shorter pause keeps the lock: the run was the changed one');
    await screenshot('embed-what-if-change.png');

    // A field the scenario does not have is refused, and the run stays.
    const errorsBefore = await page.evaluate(() => window.errors.length);
    await page.evaluate(() => window.command({ command: 'whatIf', change: { 'fault[7].duration_ms': 1 } }));
    const error = await page.waitForFunction((n) => window.errors[n]?.data.message, errorsBefore, {
      timeout: 30000,
    });
    assert.match(await error.jsonValue(), /fault\[7\]/);
    assert.equal((await latest('true')).variation, 'fault[0].duration_ms=4000');
    assert.deepEqual(problems, []);
  } finally {
    await other.close();
  }
});

test('dist/ served under a sub-path loads the app, a lesson run, the deck and the element page with no failed request', async () => {
  const prefix = '/courses/redis/lockstep/';
  const sub = await startBrowser({ prefix });
  try {
    const requests = [];
    sub.page.on('request', (r) => requests.push(r.url()));
    assert.ok(sub.server.url.endsWith(prefix));
    await sub.page.goto(sub.server.url, { waitUntil: 'load' });
    await sub.page.waitForSelector('[data-testid="home"]', { timeout: 60000 });
    // A lesson runs in the web worker: its script and wasm load too.
    await sub.page.goto(`${sub.server.url}#/lesson/${LESSON}?step=3`, { waitUntil: 'load' });
    await sub.page.locator('#step-label').filter({ hasText: /^Step 3 of/ }).waitFor({ timeout: 60000 });
    await sub.page.screenshot({ path: path.join(output, 'embed-sub-path-lesson.png') });
    // The deck, from the same sub-path.
    await sub.page.goto(`${sub.server.url}examples/index.html#/1`, { waitUntil: 'load' });
    await sub.page.waitForFunction(
      () => document.querySelector('section[data-testid="gc-slide"] lockstep-lesson')?.ready,
      null,
      { timeout: 60000 },
    );
    // The element on a page that is not a deck, driven by its buttons.
    await sub.page.goto(`${sub.server.url}examples/component.html`, { waitUntil: 'load' });
    await sub.page.locator('#status').filter({ hasText: /^Step \d+ of/ }).waitFor({ timeout: 60000 });
    const before = await sub.page.evaluate(() => document.getElementById('lesson').state.step);
    await sub.page.click('button[data-go*="client-2 enter"]');
    await sub.page.waitForFunction((s) => {
      const el = document.getElementById('lesson');
      return el.ready && el.state.step > s;
    }, before, { timeout: 30000 });
    await sub.page.click('button[data-what-if]');
    await sub.page.locator('#status').filter({ hasText: 'what if: followUp 1' }).waitFor({ timeout: 60000 });
    await sub.page.screenshot({ path: path.join(output, 'embed-component-page.png') });
    const origin = new URL(sub.server.url).origin;
    const local = requests.filter((u) => u.startsWith(origin));
    assert.ok(local.some((u) => u.includes('lockstep-worker')), 'the worker loaded');
    assert.ok(local.some((u) => u.endsWith('.wasm')), 'the wasm loaded');
    for (const url of local) assert.ok(new URL(url).pathname.startsWith(prefix), url);
    assert.deepEqual(sub.problems, []);
  } finally {
    await sub.close();
  }
});
