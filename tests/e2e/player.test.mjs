// End-to-end tests of what a new visitor ran into in the lab: focus on the
// first visit, clicker keys, the step slider's width, tap targets on a
// phone, a Lua error in a client program, the explorer's box after another
// run, edits kept in the link, and a page whose wasm does not load.
//
// Run after `trunk build --release`:  node --test tests/e2e/player.test.mjs

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

async function open(hash = '#/lab') {
  await page.goto('about:blank');
  await page.goto(server.url + hash, { waitUntil: 'load' });
  await page.waitForSelector('.lab .tl-row', { timeout: 30000 });
}

async function step() {
  const text = await page.locator('#step-label').innerText();
  const m = text.match(/Step (\d+) of (\d+)/);
  assert.ok(m, `step label: ${text}`);
  return Number(m[1]);
}

async function runAndWait() {
  const runs = Number(await page.locator('.lab').getAttribute('data-runs'));
  await page.click('#run-button');
  await page.waitForFunction((n) => Number(document.querySelector('.lab').dataset.runs) > n, runs);
}

test('on a first visit the keyboard steps the run; the console does not take focus', async () => {
  await open();
  assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'console-input');
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'the page stays at its top');
  await page.keyboard.press('ArrowRight');
  assert.equal(await step(), 1);
  // What presentation clickers send.
  await page.keyboard.press('PageDown');
  await page.keyboard.press('PageDown');
  assert.equal(await step(), 3);
  await page.keyboard.press('PageUp');
  assert.equal(await step(), 2);
});

test('the step slider keeps its width as the step label grows', async () => {
  await open('#story=gc_pause_past_ttl&seed=1&step=0');
  const width = async () => (await page.locator('.step-slider').boundingBox()).width;
  const atStart = await width();
  await page.click('button[aria-label="Last step"]');
  assert.ok((await step()) >= 100, 'a three-digit step');
  assert.equal(await width(), atStart);
});

test('a Lua error in a client program is said first, at its line, with no green "held"', async () => {
  await open();
  const text = await page.inputValue('#scenario-editor');
  const at = text.indexOf("program = '''\n") + "program = '''\n".length;
  await page.fill('#scenario-editor', `${text.slice(0, at)}local x = nil + 1\n${text.slice(at)}`);
  await runAndWait();
  const error = page.locator('.program-error').first();
  assert.match(await error.innerText(), /client-1's program stopped with a Lua error at line 1/);
  assert.match(await error.innerText(), /arithmetic/);
  await page.click('#show-verdicts');
  assert.equal(await page.locator('.verdict.held').count(), 0, 'nothing shows as held');
  await page.locator('.verdicts').screenshot({ path: path.join(output, 'lab-program-error.png') });
});

test('after Break it, another run takes the explorer\'s box away', async () => {
  await open();
  await page.click('#break-button');
  await page.locator('.explore.broken').waitFor({ timeout: 180000 });
  await runAndWait();
  assert.equal(await page.locator('#explore-result').count(), 0);
  assert.equal(await page.locator('.source.counterexample').count(), 0);
});

test('edits go into the link and survive a reload; a forged edit falls back', async () => {
  await open();
  const text = await page.inputValue('#scenario-editor');
  const edited = text.replace('duration_ms = 15000', 'duration_ms = 5000');
  assert.notEqual(edited, text);
  await page.fill('#scenario-editor', edited);
  await runAndWait();
  const hash = new URL(page.url()).hash;
  assert.match(hash, /&edit=\d+\.\d+\.[\w-]*/);
  assert.ok(hash.length < 120, `only the changed stretch rides in the link: ${hash}`);
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('.lab .tl-row', { timeout: 30000 });
  assert.equal(await page.inputValue('#scenario-editor'), edited);
  assert.equal(await page.locator('.notice').count(), 0);
  assert.match(await page.locator('.source.edited').innerText(), /link carries your edits/);

  await open(hash.replace('&edit=', '&edit=99999'));
  assert.match(await page.locator('.notice').innerText(), /its edits do not apply/);
  assert.equal(await page.inputValue('#scenario-editor'), text);
});

test('at the violation the paused client\'s lane and the world say it is paused, inside', async () => {
  await open();
  await page.click('#show-verdicts');
  await page.locator('button.verdict.violated').first().click();
  const client1 = page.locator('#world .actor-status[data-actor="client-1"]');
  assert.match(await client1.innerText(), /inside report/);
  assert.match(await page.locator('#world .network').innerText(), /network is whole|Partitioned/);
  const mark = page.locator('.tl-row .lane-mark', { hasText: 'paused · inside report' });
  assert.ok((await mark.count()) >= 1, 'the pause starts a shaded span in client-1\'s lane');
  await page.screenshot({ path: path.join(output, 'player-violation-lanes.png') });
});

test('a timeline cell cut to three lines opens in full on its row, and on hover', async () => {
  await open();
  const row = page.locator('.tl-row', { hasText: /SET lock:report .* PX \d+/ }).first();
  const seq = Number(await row.getAttribute('data-seq'));
  const text = row.locator('.tl-text');
  assert.match(await text.getAttribute('title'), /PX \d+/, 'the whole text on hover');
  await row.click();
  assert.equal(await step(), seq);
  const clipped = await page
    .locator('.tl-row.current .tl-text')
    .evaluate((el) => el.scrollHeight > el.clientHeight + 1);
  assert.equal(clipped, false, 'the current row shows its whole text');
});

test('step buttons are at least 44 px on a 390 px phone', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await open('#story=gc_pause_past_ttl&seed=1&step=5');
  for (const button of await page.locator('.step-button').all()) {
    const box = await button.boundingBox();
    assert.ok(box.width >= 44 && box.height >= 44, `a step button is ${box.width}×${box.height}`);
  }
  await page.screenshot({ path: path.join(output, 'player-phone.png'), fullPage: false });
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('a page whose wasm does not load says so instead of loading forever', async () => {
  // A page of its own: its failed request is the point, not a problem.
  const broken = await browser.context.newPage();
  await broken.route(/lockstep-web.*\.wasm$/, (route) => route.abort());
  await broken.goto(server.url, { waitUntil: 'load' });
  const boot = broken.locator('#boot.failed');
  await boot.waitFor({ timeout: 30000 });
  assert.match(await boot.innerText(), /Lockstep could not start/);
  await broken.screenshot({ path: path.join(output, 'boot-failed.png') });
  await broken.close();
});

test('no console errors or failed requests', () => {
  assert.deepEqual(problems, []);
});
