// End-to-end test of the side-by-side lessons: their ```metrics tables are
// drawn from the run the page made (five rate limiters on the same
// traffic; three locks under the same pause), one row per design, with
// the same figures as a chart of bars.
//
// Run after `trunk build --release`:  node --test tests/e2e/compare.test.mjs

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

/** The table's cells by row name, read once its values are in. */
async function table(lesson, rows) {
  await page.goto('about:blank');
  await page.goto(`${server.url}#/lesson/${lesson}`, { waitUntil: 'load' });
  const figure = page.locator('[data-testid="metrics-table-0"]');
  await figure.locator('tbody tr').first().waitFor({ timeout: 60000 });
  const read = await figure.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent.trim())),
  );
  assert.deepEqual(read.map((r) => r[0]), rows);
  // The same figures as bars: one per measured cell, and in each measure
  // the largest value has the longest bar.
  const bars = await page.locator('[data-testid="metrics-chart-0"] rect.metrics-bar').evaluateAll((rects) =>
    rects.map((r) => ({
      column: Number(r.dataset.column),
      value: Number(r.dataset.value),
      width: Number(r.getAttribute('width')),
    })),
  );
  const measured = read.flatMap((r) => r.slice(1)).filter((v) => v !== '-').length;
  assert.equal(bars.length, measured, 'a bar for every measured cell');
  for (const column of new Set(bars.map((b) => b.column))) {
    const inColumn = bars.filter((b) => b.column === column);
    const largest = Math.max(...inColumn.map((b) => b.value));
    const widest = Math.max(...inColumn.map((b) => b.width));
    for (const b of inColumn) {
      if (b.value === largest) assert.equal(b.width, widest, `column ${column}: the largest value is the longest bar`);
      else assert.ok(b.width <= widest);
    }
  }
  await figure.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(output, `compare-${lesson.replace('/', '-')}.png`), fullPage: true });
  return Object.fromEntries(read.map((r) => [r[0], r.slice(1).map((v) => v)]));
}

test('five limiters on the same traffic: the fixed window lets the boundary burst through', async () => {
  const cells = await table('patterns/limiters-side-by-side', [
    'fixed-window', 'sliding-log', 'sliding-counter', 'token-bucket', 'gcra',
  ]);
  // Columns: requests, allowed, rejected, most in a second, most in 300 ms,
  // commands, memory per user (bytes, MEMORY USAGE at its most).
  const requests = new Set(Object.values(cells).map((r) => r[0]));
  assert.equal(requests.size, 1, 'every limiter saw the same requests');
  for (const [name, r] of Object.entries(cells)) {
    assert.equal(Number(r[1]) + Number(r[2]), Number(r[0]), `${name}: allowed + rejected = requests`);
  }
  assert.ok(Number(cells['fixed-window'][4]) > 5, 'more than the limit across the boundary');
  assert.ok(Number(cells['sliding-log'][4]) <= 5);
  assert.ok(Number(cells['sliding-log'][3]) <= 5, 'the log keeps 5 in any second');
  const memory = Object.fromEntries(Object.entries(cells).map(([name, r]) => [name, parseInt(r[6], 10)]));
  assert.ok(Object.values(memory).every((m) => m > 0), JSON.stringify(memory));
  assert.equal(Math.max(...Object.values(memory)), memory['sliding-log'], 'the log, one member a request, is the biggest');
  assert.equal(Math.min(...Object.values(memory)), memory.gcra, 'GCRA, one integer, the smallest');
  assert.deepEqual(problems, []);
});

test('three locks under the same pause: only fencing keeps the stale write out', async () => {
  const cells = await table('capstones/three-locks-one-fault', ['single', 'fenced', 'redlock']);
  // Columns: accepted, rejected, two inside, stale writes, second entered at, commands.
  for (const name of ['single', 'fenced', 'redlock']) {
    assert.equal(cells[name][2], '1', `${name}: two inside at once`);
  }
  assert.equal(cells.fenced[3], '0');
  assert.equal(cells.single[3], '1');
  assert.equal(cells.redlock[3], '1');
  assert.ok(Number(cells.redlock[5]) > Number(cells.single[5]), 'Redlock sends more commands');
  assert.deepEqual(problems, []);
});
