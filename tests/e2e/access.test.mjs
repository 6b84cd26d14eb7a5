// End-to-end tests of themes and access: the dark and light schemes follow
// the system with readable contrast, every control on the home, the lesson
// player and the lab has a name for screen readers, a learner can start a
// lesson and step it with the keyboard alone, and the pages fit a projector
// (1280×720) and a phone (390 px).
//
// Run after `trunk build --release`:  node --test tests/e2e/access.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { output, startBrowser } from './browser.mjs';

const LESSON = '#/lesson/locks/gc-pause-past-the-ttl';
/** WCAG AA for body text. */
const MIN_CONTRAST = 4.5;

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

async function open(hash, ready) {
  await page.goto('about:blank');
  await page.goto(server.url + hash);
  await page.waitForSelector(ready, { timeout: 30000 });
}

async function screenshot(name) {
  await page.screenshot({ path: path.join(output, name) });
}

/**
 * The contrast of each visible text element matching `selectors` against
 * the background it sits on, lowest first: [{ what, ratio }].
 */
async function contrasts(selectors) {
  return page.evaluate((selectors) => {
    const rgba = (text) => {
      const m = text.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return [r, g, b, a];
    };
    const luminance = ([r, g, b]) => {
      const c = [r, g, b].map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    };
    const background = (element) => {
      for (let e = element; e; e = e.parentElement) {
        const color = rgba(getComputedStyle(e).backgroundColor);
        if (color[3] > 0.5) return color;
      }
      return rgba(getComputedStyle(document.documentElement).backgroundColor)[3] > 0
        ? rgba(getComputedStyle(document.documentElement).backgroundColor)
        : [255, 255, 255, 1];
    };
    const found = [];
    for (const selector of selectors) {
      for (const element of document.querySelectorAll(selector)) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || !element.textContent.trim()) continue;
        const fg = luminance(rgba(getComputedStyle(element).color));
        const bg = luminance(background(element));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        found.push({ what: `${selector} "${element.textContent.trim().slice(0, 30)}"`, ratio });
        break;
      }
    }
    return found.sort((a, b) => a.ratio - b.ratio);
  }, selectors);
}

/** Visible controls with no accessible name. */
async function unnamedControls() {
  return page.evaluate(() => {
    const controls = document.querySelectorAll(
      'a[href], button, input, select, textarea, [role="button"], [tabindex]:not([tabindex="-1"])',
    );
    const unnamed = [];
    for (const c of controls) {
      const box = c.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      const labelledBy = (c.getAttribute('aria-labelledby') ?? '')
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join('');
      const label = (c.id && document.querySelector(`label[for="${c.id}"]`)?.textContent) || c.closest('label')?.textContent || '';
      const name = [c.getAttribute('aria-label'), labelledBy, label, c.getAttribute('title'), c.tagName === 'INPUT' || c.tagName === 'TEXTAREA' || c.tagName === 'SELECT' ? '' : c.textContent]
        .map((t) => (t ?? '').trim())
        .find((t) => t.length > 0);
      if (!name) unnamed.push(c.outerHTML.slice(0, 120));
    }
    return unnamed;
  });
}

const HOME_TEXT = ['.hero-title', '.hero-lede', '.start-here', '.lesson-title', '.lesson-interview', '.lesson-facts span', '.field-label', '.site-nav a', '.pitch', '.colophon'];
const PLAYER_TEXT = ['.lesson-run #step-label', '.lesson-text p', '.lesson-title', 'h1', 'h2', 'button'];

for (const scheme of ['light', 'dark']) {
  test(`the ${scheme} scheme follows the system and its text is readable`, async () => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 1280, height: 720 });
    await open('#/', '[data-testid="home"] .lesson-card');
    const page_bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = page_bg.match(/\d+/g).map(Number);
    const dark = (r + g + b) / 3 < 80;
    assert.equal(dark, scheme === 'dark', `the page's background ${page_bg} in the ${scheme} scheme`);
    const home = await contrasts(HOME_TEXT);
    assert.ok(home.length >= 6, `text found: ${JSON.stringify(home)}`);
    for (const { what, ratio } of home) {
      assert.ok(ratio >= MIN_CONTRAST, `${scheme}: ${what} has contrast ${ratio.toFixed(2)}`);
    }
    await screenshot(`access-home-${scheme}.png`);
    await open(LESSON, '.lesson-run #step-label');
    const player = await contrasts(PLAYER_TEXT);
    assert.ok(player.length >= 4, `text found: ${JSON.stringify(player)}`);
    for (const { what, ratio } of player) {
      assert.ok(ratio >= MIN_CONTRAST, `${scheme}: ${what} has contrast ${ratio.toFixed(2)}`);
    }
    await screenshot(`access-lesson-${scheme}.png`);
    await page.emulateMedia({ colorScheme: 'light' });
  });
}

test('every control on the home, the lesson player and the lab has a name', async () => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await open('#/', '[data-testid="home"] .lesson-card');
  assert.deepEqual(await unnamedControls(), [], 'home');
  await open(LESSON, '.lesson-run #step-label');
  assert.deepEqual(await unnamedControls(), [], 'lesson player');
  await open('#/lab', '.lab #step-label');
  assert.deepEqual(await unnamedControls(), [], 'lab');
});

test('with the keyboard alone: tab to "Start here", open the lesson, step its run', async () => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await open('#/', '[data-testid="home"] .lesson-card');
  let reached = false;
  for (let tab = 0; tab < 10 && !reached; tab++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.dataset?.testid === 'start-here');
  }
  assert.ok(reached, '"Start here" is among the first ten tab stops');
  // The focused control shows that it is focused.
  const ring = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { outline: style.outlineStyle, width: style.outlineWidth, shadow: style.boxShadow };
  });
  assert.ok(ring.outline !== 'none' || ring.shadow !== 'none', `focus ring: ${JSON.stringify(ring)}`);
  await screenshot('access-keyboard-focus.png');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.lesson-run #step-label', { timeout: 30000 });
  const before = await page.locator('#step-label').innerText();
  assert.match(before, /^Step 0 of/);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /^Step 1 of/.test(document.querySelector('#step-label').textContent));
  // Tab reaches the player's controls, each with a visible focus ring.
  for (let tab = 0; tab < 3; tab++) await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.tagName);
  assert.ok(['A', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'DETAILS', 'SUMMARY'].includes(focused), `focus on ${focused}`);
});

for (const [width, height] of [[1280, 720], [390, 844]]) {
  test(`the home, a lesson and the lab fit ${width}×${height} without sideways scrolling`, async () => {
    await page.setViewportSize({ width, height });
    for (const [name, hash, ready] of [
      ['home', '#/', '[data-testid="home"] .lesson-card'],
      ['lesson', LESSON, '.lesson-run #step-label'],
      ['lab', '#/lab', '.lab #step-label'],
    ]) {
      await open(hash, ready);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} is ${overflow}px wider than ${width}px`);
      await screenshot(`access-${name}-${width}.png`);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });
}

test('no console errors or failed requests', () => {
  assert.deepEqual(problems, []);
});
