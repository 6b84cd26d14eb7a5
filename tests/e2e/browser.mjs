// The browser both end-to-end tests drive: dist/ served on a free loopback
// port and Debian's headless Chromium opened on it, with every console
// error, uncaught exception and failed request collected in `problems` (the
// tests fail on any). Screenshots go to `output` for a human to look at.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveDirectory } from './static-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(root, 'dist');
export const output = path.join(root, 'tests', 'e2e', 'output');

// Debian's Chromium. The flags keep it from reaching for the network (this
// machine's network is closed) and from needing a GPU or a sandbox.
const CHROMIUM = process.env.LOCKSTEP_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Serves dist/ (under `prefix`, a sub-path, when given) and opens Chromium
 * on a fresh profile.
 */
export async function startBrowser({ prefix } = {}) {
  await fs.access(path.join(dist, 'index.html')).catch(() => {
    throw new Error('dist/index.html is missing: run `trunk build --release` first');
  });
  await fs.mkdir(output, { recursive: true });
  const server = await serveDirectory(dist, { prefix });
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'lockstep-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  /** Console errors, page errors and failed requests seen so far. */
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) =>
    problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`),
  );
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return {
    server,
    context,
    page,
    problems,
    async close() {
      await context.close();
      await server.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}
