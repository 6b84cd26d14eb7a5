// The web group of `lockstep bench` (crates/cli/src/bench/web.rs): the
// built page (dist/) served on loopback and measured in headless Chromium.
// Prints `lockstep-bench NAME VALUE` lines, which the bench reads:
//
// - web:first_screen:gzip_kb — what a first visit to the home fetches before
//   the home is interactive, each file gzipped at level 9 (what a server
//   compressing its static files would send), headers left out;
// - web:lesson:gzip_kb — the same for opening a lesson (the whole app, its
//   worker and the lesson's run), the reference;
// - web:first_screen:ms — navigation start to the home drawn with its lesson
//   cards (Yew attaches the handlers as it draws), median of five fresh loads;
// - web:lesson:ms — the same to a lesson's run on show, the reference;
// - web:jump_100k:p50_ms, web:jump_100k:max_ms — setting the step slider of
//   the lab to an arbitrary step of a 100,000-event run until the step's
//   label is drawn and laid out, over 21 steps spread through the run;
// - web:jump_small:p50_ms — the same on the GC-pause story's run, the
//   reference.
//
// Run after `trunk build --release`:  node tests/bench-web/measure.mjs

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveDirectory } from '../e2e/static-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'dist');
const CHROMIUM = process.env.LOCKSTEP_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LOADS = 5;
const LESSON = '#/lesson/locks/gc-pause-past-the-ttl';

/** One client sending 33,333 INCRs: three events each, 100,001 in all. */
const BIG_SCENARIO = `title = "100,000 events: one client counting"
seed = 1
duration_ms = 100000000

[[node]]
name = "redis"

[[client]]
name = "client-1"
program = '''
for i = 1, 33333 do
  redis.call("INCR", "n")
end
'''
`;

function report(name, value) {
  console.log(`lockstep-bench ${name} ${value}`);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * A fresh browser profile opened at `hash`; resolves once `ready` (a CSS
 * selector) is on the page, to the milliseconds since navigation start and
 * the gzipped bytes of every file fetched until then.
 */
async function load(server, hash, ready) {
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'lockstep-bench-web-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 860 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const bodies = [];
    let done = false;
    context.on('response', async (res) => {
      if (done) return;
      const body = await res.body().catch(() => null);
      if (body) bodies.push({ url: res.url(), raw: body.length, gzip: zlib.gzipSync(body, { level: 9 }).length });
    });
    // Notes the moment `ready` first appears, from the page's own clock.
    await page.addInitScript((selector) => {
      const seen = () => {
        if (document.querySelector(selector)) {
          window.__lockstepReady = performance.now();
          return true;
        }
        return false;
      };
      new MutationObserver((_, observer) => seen() && observer.disconnect())
        .observe(document, { childList: true, subtree: true });
    }, ready);
    await page.goto(server.url + hash);
    await page.waitForFunction(() => window.__lockstepReady !== undefined, null, { timeout: 60000 });
    const ms = await page.evaluate(() => window.__lockstepReady);
    // Responses still being read when `ready` appeared were fetched before it.
    await page.waitForTimeout(200);
    done = true;
    return { ms, bodies };
  } finally {
    await context.close();
    await fs.rm(profile, { recursive: true, force: true });
  }
}

/** Loads `hash` LOADS times: the median time and the bytes of the first load. */
async function timeLoads(server, hash, ready) {
  const times = [];
  let first;
  for (let i = 0; i < LOADS; i++) {
    const { ms, bodies } = await load(server, hash, ready);
    times.push(ms);
    first ??= bodies;
  }
  const kb = first.reduce((sum, b) => sum + b.gzip, 0) / 1024;
  for (const b of first) {
    console.error(`  ${hash || '#/'}: ${path.basename(new URL(b.url).pathname) || 'index.html'} ${b.raw} B, ${b.gzip} B gzip -9`);
  }
  return { ms: median(times), kb };
}

/**
 * The lab with `scenario` run (or the story as it opens, if none); resolves
 * to the times of jumps to 21 steps spread through the run.
 */
async function jumps(page, server, scenario) {
  await page.goto('about:blank');
  await page.goto(server.url + '#/lab');
  await page.waitForSelector('.step-slider', { timeout: 60000 });
  if (scenario) {
    const runs = Number(await page.locator('.lab').getAttribute('data-runs'));
    await page.fill('#scenario-editor', scenario);
    await page.click('#run-button');
    await page.waitForFunction(
      (n) => Number(document.querySelector('.lab').dataset.runs) > n,
      runs,
      { timeout: 300000 },
    );
  }
  const last = Number(await page.locator('.step-slider').getAttribute('max'));
  const times = [];
  for (let i = 0; i <= 20; i++) {
    // Spread through the run, never twice the same step in a row.
    const target = Math.round((last * ((i * 7) % 21)) / 20);
    const ms = await page.evaluate((target) => new Promise((resolve) => {
      const label = document.querySelector('#step-label');
      const slider = document.querySelector('.step-slider');
      const wanted = new RegExp(`Step ${target} of`);
      const start = performance.now();
      const finish = () => {
        document.body.getBoundingClientRect();
        resolve(performance.now() - start);
      };
      const observer = new MutationObserver(() => {
        if (wanted.test(label.textContent)) {
          observer.disconnect();
          finish();
        }
      });
      observer.observe(label, { childList: true, subtree: true, characterData: true });
      slider.value = String(target);
      slider.dispatchEvent(new Event('input', { bubbles: true }));
      if (wanted.test(label.textContent)) {
        observer.disconnect();
        finish();
      }
    }), target);
    times.push(ms);
  }
  return { last, times };
}

async function main() {
  await fs.access(path.join(dist, 'index.html')).catch(() => {
    throw new Error('dist/index.html is missing: run `trunk build --release` first');
  });
  const server = await serveDirectory(dist);
  try {
    const home = await timeLoads(server, '', '[data-testid="home"] .lesson-card');
    report('web:first_screen:gzip_kb', home.kb.toFixed(1));
    report('web:first_screen:ms', home.ms.toFixed(1));
    const lesson = await timeLoads(server, LESSON, '.lesson-run #step-label');
    report('web:lesson:gzip_kb', lesson.kb.toFixed(1));
    report('web:lesson:ms', lesson.ms.toFixed(1));

    const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'lockstep-bench-web-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 860 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const small = await jumps(page, server, null);
      report('web:jump_small:p50_ms', median(small.times).toFixed(2));
      report('web:jump_small:events', small.last + 1);
      const big = await jumps(page, server, BIG_SCENARIO);
      report('web:jump_100k:events', big.last + 1);
      report('web:jump_100k:p50_ms', median(big.times).toFixed(2));
      report('web:jump_100k:max_ms', Math.max(...big.times).toFixed(2));
      console.error(`  jumps on ${big.last + 1} events (ms): ${big.times.map((t) => t.toFixed(1)).join(' ')}`);
    } finally {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    }
  } finally {
    await server.close();
  }
}

main().catch((error) => {
  console.error(error.stack ?? String(error));
  process.exit(1);
});
