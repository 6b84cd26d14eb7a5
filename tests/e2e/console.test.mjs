// End-to-end test of the built playground (dist/) in headless Chromium.
//
// It serves dist/ on a free loopback port, opens the page, types into the
// Redis console as a learner would and reads what appears. Any console error,
// uncaught exception or failed request fails the run: a page that works
// "mostly" is not what a learner or an instructor's slide deck should get.
// Screenshots land in tests/e2e/output/ for a human to look at.
//
// Run after `trunk build --release`:  node --test tests/e2e/console.test.mjs

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
});

after(async () => {
  await browser?.close();
});

/** Types `line` into the console, presses Enter and returns the new output. */
async function run(line) {
  const outputs = page.locator('.transcript .output');
  const before = await outputs.count();
  await page.fill('#console-input', line);
  await page.press('#console-input', 'Enter');
  await page.waitForFunction(
    (n) => document.querySelectorAll('.transcript .output').length > n,
    before,
    { timeout: 5000 },
  );
  return (await outputs.last().innerText()).trim();
}

async function screenshot(name) {
  await page.screenshot({ path: path.join(output, name), fullPage: true });
}

test('the page loads and shows the shell', async () => {
  await page.goto(server.url + '#/lab', { waitUntil: 'load' });
  await page.waitForSelector('#console-input', { timeout: 15000 });
  assert.equal(await page.locator('.brand-name').innerText(), 'Lockstep');
  assert.match(await page.locator('.lessons').innerText(), /The lessons walk through them/);
  assert.equal(
    await page.getAttribute('#console-input', 'placeholder'),
    'try: SET lock:1 me NX PX 3000',
  );
  // The console sits below the lab: focusing it on load would scroll the
  // page away from the top and take the arrow keys from the stepper.
  assert.notEqual(
    await page.evaluate(() => document.activeElement?.id),
    'console-input',
    'the console does not take the focus on load',
  );
  assert.equal(await page.evaluate(() => window.scrollY), 0);
  await screenshot('home.png');
});

test('PING answers PONG', async () => {
  assert.equal(await run('PING'), 'PONG');
});

test('an error reply reads as in redis-cli', async () => {
  assert.equal(await run('GET'), "(error) ERR wrong number of arguments for 'get' command");
  const last = page.locator('.transcript .output').last();
  assert.match(await last.getAttribute('class'), /\berror\b/, 'errors are styled as errors');
});

test('the suggested first command takes a lock once', async () => {
  assert.equal(await run('SET lock:1 me NX PX 3000'), 'OK');
  assert.equal(await run('SET lock:1 you NX PX 3000'), '(nil)', 'the second taker is refused');
  assert.equal(await run('GET lock:1'), '"me"');
});

test('quoted arguments and unbalanced quotes split as in redis-cli', async () => {
  assert.equal(await run('ECHO "hello world"'), '"hello world"');
  assert.equal(await run('ECHO "unbalanced'), 'Invalid argument(s)');
});

test('arrow up recalls the previous command', async () => {
  await page.press('#console-input', 'ArrowUp');
  assert.equal(await page.inputValue('#console-input'), 'ECHO "unbalanced');
  await page.press('#console-input', 'ArrowDown');
  assert.equal(await page.inputValue('#console-input'), '');
});

test('EVAL runs Lua 5.1 in the page', async () => {
  const reply = await run('EVAL "return 1+1" 0');
  await screenshot('console.png');
  assert.equal(reply, '(integer) 2');
});

test('a BLPOP on one connection is served by an LPUSH on the other', async () => {
  assert.match(await run('BLPOP jobs 0'), /^Waiting/);
  assert.match(await page.locator('.wait-line').innerText(), /waiting in BLPOP jobs 0/);
  assert.match(await page.locator('.conn-tab').first().innerText(), /waiting/);
  await page.click('.conn-tab:has-text("Connection 2")');
  assert.equal(await page.locator('.wait-line').count(), 0, 'connection 2 is free');
  assert.equal(await run('LPUSH jobs j1'), '1) "jobs"\n2) "j1"');
  const texts = await page.locator('.transcript .output').allInnerTexts();
  assert.deepEqual(texts.slice(-3).map((t) => t.trim()), [
    '(integer) 1',
    'Connection 1, BLPOP jobs 0:',
    '1) "jobs"\n2) "j1"',
  ]);
  await screenshot('blocking.png');
  // A wait can be cancelled: the connection is reopened.
  assert.match(await run('BRPOP jobs 0'), /^Waiting/);
  await page.click('.cancel-wait');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.transcript .output')].some((e) =>
      e.innerText.startsWith('Cancelled BRPOP jobs 0')),
  );
  assert.equal(await page.locator('.wait-line').count(), 0);
  await page.click('.conn-tab:has-text("Connection 1")');
  assert.equal(await page.locator('.wait-line').count(), 0, 'connection 1 was served');
});

test('clear empties the screen', async () => {
  await page.click('button:has-text("Clear")');
  assert.equal(await page.locator('.transcript .entry').count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'console-input');
});

test('the layout holds on a narrow screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await run('PING'), 'PONG');
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.equal(overflow, 0, 'no horizontal scrolling');
  await screenshot('narrow.png');
});

test('the dark colour scheme is readable', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 1280, height: 860 });
  assert.equal(await run('ECHO "dark mode"'), '"dark mode"');
  await screenshot('dark.png');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('no console errors or failed requests', () => {
  assert.deepEqual(problems, []);
});
