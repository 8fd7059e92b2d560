// What the browser tests share: the `opendata` binary started on a free loopback port with a temporary data directory
// and the seed data, Debian's Chromium through playwright-core, and pages that record what the browser complains about.
//
// The binary is $OPENDATA_BIN (scripts/test sets it to the one it built), else the debug (or release) build in the
// target directory cargo reports for this workspace, so running these tests by hand needs no variable either.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const { chromium } = require('playwright-core');

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const screenshots = join(repo, 'target', 'screenshots');
export const axePath = require.resolve('axe-core/axe.min.js');

/** Debian's headless Chromium. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

function binary() {
  if (process.env.OPENDATA_BIN) return process.env.OPENDATA_BIN;
  const metadata = execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: repo, maxBuffer: 1 << 26 });
  const target = JSON.parse(metadata).target_directory;
  for (const profile of ['debug', 'release']) {
    const path = resolve(repo, target, profile, 'opendata');
    if (existsSync(path)) return path;
  }
  throw new Error(`no opendata binary under ${target}: run cargo build first`);
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/**
 * Starts `opendata serve` with the seed data and `adminToken` as the bootstrap admin's, and `extraArgs` after the
 * usual ones; resolves once it is ready.
 */
export async function startServer(adminToken, readyWithinMs = 180_000, extraArgs = []) {
  mkdirSync(screenshots, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'opendata-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  const server = spawn(binary(), [
    'serve', '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`, '--base-uri', base, '--no-rate-limits',
    ...extraArgs,
  ], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENDATA_ADMIN_TOKEN: adminToken } });
  server.stdout.on('data', (d) => { log += d; });
  server.stderr.on('data', (d) => { log += d; });
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyWithinMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`opendata exited with ${server.exitCode}:\n${log}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.status === 200) return { base, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`opendata was not ready within ${readyWithinMs} ms:\n${log}`);
}

/** A page that records what the browser complains about (CSP violations, script errors, failed requests). */
export async function watchedPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`script error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation cancels what the previous page was still loading (the icon): that is no fault.
    const error = r.failure()?.errorText;
    if (error !== 'net::ERR_ABORTED') page.problems.push(`request failed: ${r.url()} ${error}`);
  });
  return page;
}

/** A full-page screenshot under target/screenshots/. */
export async function shot(page, name) {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}
