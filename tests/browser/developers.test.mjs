// Browser test of the developer portal and the account pages (issue 17), in Debian's headless Chromium, against a
// real OpenID Provider (node-oidc-provider, tests/oidc/provider.mjs) on loopback: a developer signs in through the
// provider's own login page, creates a key on /developers, uses it, and revokes it; an admin signed in through the
// provider sees the account pages. axe-core finds no violation on the new pages in Vietnamese and English.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { axePath, launchChromium, repo, shot, startServer, watchedPage } from './support.mjs';

const CLIENT_ID = 'opendata-browser';
const CLIENT_SECRET = 'a-browser-test-client-secret-32-bytes!';

let server;
let base;
let provider;
let issuer;
let browser;

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Starts the provider on `port` with our client redirecting to `rp`; resolves once it listens. */
function startProvider(port, rp) {
  const dir = join(repo, 'tests', 'oidc');
  if (!existsSync(join(dir, 'node_modules', 'oidc-provider'))) {
    throw new Error('the test provider is not installed: npm ci --prefix tests/oidc');
  }
  const clients = [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [`${rp}/login/oidc/callback`],
    post_logout_redirect_uris: [`${rp}/login`],
  }];
  const child = spawn(process.execPath, [join(dir, 'provider.mjs')], {
    env: { ...process.env, PORT: String(port), CLIENTS: JSON.stringify(clients) },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/ready (\S+)/);
      if (m) ok({ child, issuer: m[1] });
    });
    child.once('exit', (code) => fail(new Error(`the provider exited with ${code}: ${out}`)));
  });
}

/** Signs in at the provider's own login page (the page is there after clicking our sign-in link). */
async function providerLogin(page, login) {
  await page.waitForURL((u) => u.href.startsWith(issuer));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((u) => u.href.startsWith(base));
}

/**
 * A page recording what the browser complains about on our own pages only (the provider's development pages load a
 * web font and ask for an icon it does not have).
 */
async function ourPage(context) {
  const page = await watchedPage(context);
  page.ours = [];
  const onOurs = () => page.url().startsWith(base);
  page.on('console', (m) => {
    if (m.type() === 'error' && onOurs()) page.ours.push(`console: ${m.text()} (${page.url()})`);
  });
  page.on('pageerror', (e) => {
    if (onOurs()) page.ours.push(`script error: ${e.message}`);
  });
  return page;
}

async function axe(page, name, failures) {
  await page.addScriptTag({ path: axePath });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  for (const v of results.violations) {
    const line = `${name}: [${v.impact}] ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`;
    console.log(line);
    failures.push(line);
  }
  console.log(`axe ${name}: ${results.violations.length} violation(s)`);
}

describe('developer portal and account pages', { timeout: 300_000 }, () => {
  before(async () => {
    const opPort = await freePort();
    issuer = `http://127.0.0.1:${opPort}`;
    // The server discovers the provider at the first sign-in, so it may start first (the provider needs its address).
    server = await startServer('browser-developers', 180_000, [
      '--seed-lists', 'agencies',
      '--oidc-issuer', issuer,
      '--oidc-client-id', CLIENT_ID,
      '--oidc-client-secret', CLIENT_SECRET,
      '--oidc-scopes', 'profile,email,agency,groups',
      '--oidc-group-role', 'opendata-admins=admin',
      '--oidc-group-role', 'opendata-publishers=publisher',
    ]);
    base = server.base;
    provider = await startProvider(opPort, base);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    provider?.child.kill('SIGTERM');
    await server?.stop();
  });

  test('a developer signs in through the provider, creates a key, uses it and revokes it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ourPage(context);
    await page.goto(`${base}/developers?lang=en`);
    await page.getByRole('link', { name: 'Sign in with the shared government sign-in' }).click();
    await providerLogin(page, 'chi.developer');
    assert.equal(new URL(page.url()).pathname, '/developers');
    assert.ok(await page.getByText('Lê Minh Chi').count() > 0, 'signed in as the provider says');

    await page.getByLabel('Key name').fill('dashboard');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.locator('#new-key-secret').textContent()).trim();
    assert.match(secret, /^odk_[0-9a-f]{64}$/);
    await shot(page, 'developers-key-created-en');

    const call = async () => (await fetch(`${base}/api/v1/admin/harvest-runs`, {
      headers: { Authorization: `Bearer ${secret}` },
    })).status;
    assert.equal(await call(), 403, 'the key authenticates (a consumer is no admin)');
    await fetch(`${base}/api/v1/search?q=x`, { headers: { Authorization: `Bearer ${secret}` } });

    // The chart counts the two calls.
    await page.goto(`${base}/developers?lang=en`);
    assert.equal(await page.locator('#new-key-secret').count(), 0, 'the key is shown only once');
    const chart = page.getByRole('img', { name: /Calls per day of key dashboard/ });
    assert.equal(await chart.count(), 1);
    assert.match(await page.locator('svg.usage-chart desc').textContent(), /^2 calls in total/);
    await shot(page, 'developers-chart-en');

    await page.getByRole('button', { name: 'Revoke: dashboard' }).click();
    await page.waitForURL(`${base}/developers`);
    assert.equal(await call(), 401, 'a revoked key stops');
    assert.ok(await page.getByText('Revoked').count() > 0);
    assert.deepEqual(page.ours, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('axe-core finds no violation on the new pages, in Vietnamese and English', async () => {
    // The injected axe script is inline: only this context bypasses the pages' Content-Security-Policy.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const failures = [];
    for (const lang of ['vi', 'en']) {
      await page.goto(`${base}/developers?lang=${lang}`);
      await axe(page, `developers, signed out (${lang})`, failures);
      await page.goto(`${base}/login?lang=${lang}`);
      await axe(page, `sign-in (${lang})`, failures);
      await page.goto(`${base}/login/oidc/callback?code=nothing-${lang}&state=forged&lang=${lang}`);
      assert.equal(await page.locator('#sign-in-message').getAttribute('data-reason'), 'wrong-state');
      await axe(page, `sign-in refused (${lang})`, failures);
    }
    // A developer with a key (the chart), then an admin (the account pages), both through the provider.
    await page.goto(`${base}/developers/login`);
    await providerLogin(page, 'chi.developer');
    await page.goto(`${base}/developers?lang=en`);
    await page.getByLabel('Key name').fill('axe');
    await page.getByRole('button', { name: 'Create key' }).click();
    for (const lang of ['vi', 'en']) {
      await page.goto(`${base}/developers?lang=${lang}`);
      await axe(page, `developers, signed in (${lang})`, failures);
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.href.startsWith(issuer));
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${base}/login`);

    await page.goto(`${base}/login/oidc?next=/manage/accounts`);
    await providerLogin(page, 'binh.admin');
    assert.equal(new URL(page.url()).pathname, '/manage/accounts');
    const developer = page.getByRole('link', { name: 'Lê Minh Chi' });
    const href = await developer.getAttribute('href');
    for (const lang of ['vi', 'en']) {
      await page.goto(`${base}/manage/accounts?lang=${lang}`);
      await axe(page, `accounts (${lang})`, failures);
      await page.goto(`${base}${href}?lang=${lang}`);
      await axe(page, `account (${lang})`, failures);
    }
    await shot(page, 'manage-account-en');
    assert.deepEqual(failures, [], 'accessibility violations');
    await context.close();
  });
});
