// Browser tests of the curation pages (issue 9), in Debian's headless Chromium: a steward proposes a code and another
// steward approves it; a publisher creates a dataset, uploads a CSV (the checksum is shown) and submits it; the
// approver publishes it from the queue and it is then found by the public search. Every page is screenshotted under
// target/screenshots/curation-*.png, breaks no Content-Security-Policy rule, and axe-core finds no serious or critical
// violation on it.
//
// Like site.test.mjs, the test starts the `opendata` binary itself (see support.mjs) with a temporary data directory,
// the seed data and a bootstrap admin token, whose admin API then issues the stewards', the publisher's and the
// approver's tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { axePath, launchChromium, shot as curationShot, startServer, watchedPage } from './support.mjs';

const ADMIN = 'curation-browser-test';

let server;
let base;
let browser;
const tokens = {};

async function issueToken(account) {
  const r = await fetch(`${base}/api/v1/admin/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  const body = await r.text();
  assert.equal(r.status, 201, body);
  return JSON.parse(body).token;
}

async function shot(page, name) {
  await curationShot(page, `curation-${name}`);
}

/** Signs in from a curation address: it sends to /login, which comes back after the token is accepted. */
async function signIn(page, token, path = '/manage') {
  await page.goto(`${base}${path}`);
  assert.match(page.url(), /\/login\?next=/);
  await page.locator('#token').fill(token);
  await Promise.all([
    page.waitForURL((u) => u.pathname === path),
    page.locator('main form[action="/login"] button[type="submit"]').click(),
  ]);
}

/** Clicks a submit button and waits for the page it leads to. */
async function submitAndWait(page, button, url) {
  await Promise.all([page.waitForURL(url), button.click()]);
}

describe('curation pages', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer(ADMIN);
    base = server.base;
    tokens.anna = await issueToken({ name: 'anna', role: 'steward', lists: ['themes'] });
    tokens.binh = await issueToken({ name: 'binh', role: 'steward', lists: ['themes'] });
    tokens.publisher = await issueToken({ name: 'chi', role: 'publisher', agency: 'G12' });
    tokens.approver = await issueToken({ name: 'dung', role: 'approver', agency: 'G12' });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a steward proposes a code and another steward approves it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    await page.goto(`${base}/manage`);
    assert.match(page.url(), /\/login\?next=/);
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    await shot(page, 'login');
    await signIn(page, tokens.anna);
    const session = (await context.cookies()).find((c) => c.name === 'od_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Lax', JSON.stringify(session));
    await shot(page, 'dashboard-steward');

    await page.goto(`${base}/manage/lists/themes`);
    await shot(page, 'code-list');
    await submitAndWait(page, page.getByRole('link', { name: 'Đề xuất thay đổi' }), /\/propose$/);
    await page.locator('#op').selectOption('add');
    await page.locator('#code').fill('space');
    await page.locator('#label_vi').fill('Vũ trụ');
    await page.locator('#label_en').fill('Space');
    await page.locator('#legal_decision').fill('12/2026/QĐ-BKHCN');
    await page.locator('#legal_date').fill('2026-01-15');
    await page.locator('#reason').fill('Chủ đề mới cho dữ liệu vũ trụ');
    await shot(page, 'propose');
    await submitAndWait(page, page.locator('main form[action$="/propose"] button[type="submit"]'), /\/change-requests\/\d+$/);
    const request = new URL(page.url()).pathname;
    assert.ok(await page.locator('table.diff').filter({ hasText: 'Vũ trụ' }).count() > 0, 'the diff shows the new label');
    assert.equal(await page.locator('form[action$="/approve"]').count(), 0, 'the proposer cannot approve');
    assert.deepEqual(page.problems, []);

    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page2 = await watchedPage(other);
    await signIn(page2, tokens.binh);
    await submitAndWait(page2, page2.locator(`a[href="${request}"]`), (u) => u.pathname === request);
    await shot(page2, 'review');
    await page2.locator('#approve-note').fill('Đồng ý');
    await submitAndWait(page2, page2.locator('form[action$="/approve"] button'), (u) => u.pathname === request);
    assert.equal(await page2.locator('h1 .status').textContent(), 'Đã phê duyệt');
    const item = await (await fetch(`${base}/api/v1/registry/lists/themes/items/space`)).json();
    assert.equal(item.labels.vi, 'Vũ trụ');
    assert.deepEqual(page2.problems, []);
    await context.close();
    await other.close();
  });

  test('a publisher creates a dataset with a CSV and submits it; the approver publishes it; search finds it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    await signIn(page, tokens.publisher, '/manage/datasets/new');
    await page.locator('#title_vi').fill('Danh sách trường học Hải Đăng');
    await page.locator('#title_en').fill('Hai Dang schools');
    await page.locator('#description_vi').fill('Các trường phổ thông của thử nghiệm Hải Đăng.');
    await page.locator('.choices input[name="themes"]').first().check();
    await page.locator('#licence').selectOption('CC-BY-4.0');
    await page.locator('#frequency').selectOption('ANNUAL');
    await page.locator('#access_right').selectOption('public');
    await page.locator('#spatial option').first().waitFor({ state: 'attached' });
    await shot(page, 'dataset-new');
    await submitAndWait(page, page.locator('main form[action="/manage/datasets"] button[type="submit"]'), /\/manage\/datasets\/[a-z0-9-]+$/);
    const path = new URL(page.url()).pathname;

    const csv = 'ten,so_hoc_sinh\nTrường A,120\nTrường B,340\n';
    const sha = createHash('sha256').update(csv).digest('hex');
    await page.locator('#file').setInputFiles({ name: 'truong.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.locator('#format').selectOption('CSV');
    await submitAndWait(page, page.locator('form[data-upload] button[type="submit"]'), /\?uploaded=truong$/);
    assert.ok((await page.locator('.success').textContent()).includes(sha), 'the checksum is shown');
    await shot(page, 'dataset-uploaded');

    await submitAndWait(page, page.locator(`form[action="${path}/submit"] button`), (u) => u.pathname === path);
    assert.equal(await page.locator('h1 .status').textContent(), 'Chờ phê duyệt');
    assert.deepEqual(page.problems, []);

    const approverContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page2 = await watchedPage(approverContext);
    await signIn(page2, tokens.approver, '/manage/queue');
    const entry = page2.locator('.queue-entry').filter({ hasText: 'Hải Đăng' });
    assert.equal(await entry.count(), 1);
    assert.ok(await entry.locator('table.diff').count() === 1, 'the queue shows the diff');
    await shot(page2, 'queue');
    await submitAndWait(page2, entry.locator(`form[action="${path}/publish"] button`), /\/manage\/queue$/);
    assert.equal(await page2.locator('.queue-entry').filter({ hasText: 'Hải Đăng' }).count(), 0);
    assert.deepEqual(page2.problems, []);

    // The search index follows the change log within about a second.
    const deadline = Date.now() + 20_000;
    let found = 0;
    while (Date.now() < deadline) {
      await page2.goto(`${base}/search?q=hai+dang`);
      found = await page2.locator('.results-list h3 a').filter({ hasText: 'Hải Đăng' }).count();
      if (found > 0) break;
      await page2.waitForTimeout(250);
    }
    assert.equal(found, 1, 'the published dataset is in the public search');
    await shot(page2, 'search-published');
    await context.close();
    await approverContext.close();
  });

  test('two tabs edit the same dataset: the second save shows the conflict page and saves nothing (issue 16)', async () => {
    // axe's script is injected inline, so this context bypasses the Content-Security-Policy (as the axe test's do).
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const first = await watchedPage(context);
    await signIn(first, tokens.publisher, '/manage/datasets/new');
    await first.locator('#id').fill('conflict-demo');
    await first.locator('#title_vi').fill('Dữ liệu thử xung đột');
    await first.locator('#description_vi').fill('Bộ dữ liệu để thử hai người sửa cùng lúc.');
    await first.locator('.choices input[name="themes"]').first().check();
    await first.locator('#licence').selectOption('CC-BY-4.0');
    await first.locator('#frequency').selectOption('ANNUAL');
    await first.locator('#access_right').selectOption('public');
    await submitAndWait(first, first.locator('main form[action="/manage/datasets"] button[type="submit"]'), /\/manage\/datasets\/conflict-demo$/);
    const path = new URL(first.url()).pathname;

    // A second tab opens the same form at the same revision.
    const second = await watchedPage(context);
    await second.goto(`${base}${path}`);
    const seen = await second.locator('form.dataset-form input[name="revision"]').inputValue();

    await first.locator('#title_vi').fill('Dữ liệu thử xung đột (tab một)');
    await Promise.all([first.waitForLoadState('load'), first.locator('form.dataset-form button[type="submit"]').click()]);
    await first.waitForLoadState('networkidle');

    await second.locator('#description_vi').fill('Mô tả sửa ở tab hai.');
    await second.locator('form.dataset-form button[type="submit"]').click();
    await second.locator('h1.conflict').waitFor();
    assert.equal(await second.locator('.seen-revision').textContent(), seen);
    assert.notEqual(await second.locator('.current-revision').textContent(), seen, 'the dataset moved on');
    // Exactly the fields that differ between what this tab sent and the current revision, side by side.
    assert.deepEqual(await second.locator('table.conflict-versions tbody th code').allTextContents(), ['title_vi', 'description_vi']);
    await shot(second, 'conflict');
    await second.addScriptTag({ path: axePath });
    const results = await second.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const serious = results.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
    assert.deepEqual(serious.map((v) => v.id), [], 'the conflict page is accessible');

    // Nothing of the refused form was saved: the dataset keeps the first tab's title and its old description.
    const api = await (await fetch(`${base}/api/v1/datasets/conflict-demo`, {
      headers: { authorization: `Bearer ${tokens.publisher}` },
    })).json();
    const content = api.content ?? api;
    assert.equal(content.title.vi, 'Dữ liệu thử xung đột (tab một)');
    assert.equal(content.description.vi, 'Bộ dữ liệu để thử hai người sửa cùng lúc.');
    await context.close();
  });

  test('axe-core finds no serious or critical violation on the curation pages', async () => {
    // The injected axe script is inline: only this context bypasses the pages' Content-Security-Policy.
    const failures = [];
    let checked = 0;
    const audit = async (page, name) => {
      // English first, so that the page is left in Vietnamese for its screenshot.
      for (const lang of ['en', 'vi']) {
        const url = new URL(page.url());
        url.searchParams.set('lang', lang);
        await page.goto(url.toString());
        await page.addScriptTag({ path: axePath });
        const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
        checked += 1;
        for (const v of results.violations) {
          const line = `${name} (${lang}): [${v.impact}] ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`;
          console.log(line);
          if (v.impact === 'serious' || v.impact === 'critical') failures.push(line);
        }
        console.log(`axe ${name} (${lang}): ${results.violations.length} violation(s)`);
      }
      await shot(page, `page-${name.replace(/[^a-z]+/g, '-').replace(/-$/, '')}`);
    };
    const visit = async (page, name, path) => {
      await page.goto(`${base}${path}`);
      await audit(page, name);
    };

    const login = await browser.newContext({ bypassCSP: true });
    const anonymous = await login.newPage();
    await visit(anonymous, 'login', '/login');
    await login.close();

    const steward = await browser.newContext({ bypassCSP: true });
    const s = await steward.newPage();
    await signIn(s, tokens.anna);
    await visit(s, 'dashboard (steward)', '/manage');
    await visit(s, 'my code lists', '/manage/lists');
    await visit(s, 'code list', '/manage/lists/themes');
    await visit(s, 'propose', '/manage/lists/themes/propose');
    await visit(s, 'import', '/manage/lists/themes/import');
    const requests = await (await fetch(`${base}/api/v1/registry/lists/themes/change-requests`)).json();
    if (requests.items.length > 0) {
      await visit(s, 'change request', `/manage/lists/themes/change-requests/${requests.items[0].id}`);
    }
    await steward.close();

    const publisher = await browser.newContext({ bypassCSP: true });
    const p = await publisher.newPage();
    await signIn(p, tokens.publisher);
    await visit(p, 'dashboard (publisher)', '/manage');
    await visit(p, 'datasets', '/manage/datasets');
    const first = await p.locator('table.datasets a').filter({ hasText: /Hải Đăng|Hai Dang/ }).getAttribute('href');
    await visit(p, 'new dataset', '/manage/datasets/new');
    await visit(p, 'dataset', first);
    await visit(p, 'revision diff', await p.locator('table.revisions a').first().getAttribute('href'));
    await publisher.close();

    const approver = await browser.newContext({ bypassCSP: true });
    const a = await approver.newPage();
    await signIn(a, tokens.approver);
    await visit(a, 'dashboard (approver)', '/manage');
    await visit(a, 'queue', '/manage/queue');
    await visit(a, 'agency', '/manage/agency');
    await approver.close();

    console.log(`axe: ${checked} curation pages checked, ${failures.length} serious or critical violation(s)`);
    assert.deepEqual(failures, [], 'serious or critical accessibility violations');
  });
});
