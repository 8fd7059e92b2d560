// Browser test of the public talking back (issue 19), in Debian's headless Chromium: the feedback form on a dataset
// page is filled and sent as a person would (no account), the page says it waits for moderation, and once the agency
// answers (through the API) the thread and its answer show on the page; `/stats` shows its figures and SVG charts;
// both in Vietnamese and in English, with no Content-Security-Policy complaint and no serious or critical axe-core
// violation on the dataset page (with its feedback section), `/stats` and `/data-requests`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { axePath, launchChromium, shot, startServer, watchedPage } from './support.mjs';

const ADMIN = 'browser-feedback';
let server;
let base;
let browser;

describe('feedback and statistics pages', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer(ADMIN);
    base = server.base;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a person sends feedback from the dataset page and sees the answer, in both languages', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    for (const [lang, labels] of [
      ['vi', { heading: 'Góp ý và hỏi đáp', kind: 'Báo lỗi', message: 'Nội dung', email: /Thư điện tử để nhận trả lời/, send: 'Gửi góp ý', sent: 'Góp ý sẽ hiển thị sau khi được kiểm duyệt' }],
      ['en', { heading: 'Feedback and questions', kind: 'Error report', message: 'Message', email: /E-mail for the answer/, send: 'Send feedback', sent: 'Your feedback will show once it is moderated' }],
    ]) {
      await page.goto(`${base}/dataset/public-holidays?lang=${lang}`);
      const section = page.locator('section.feedback');
      await section.getByRole('heading', { level: 2, name: labels.heading }).scrollIntoViewIfNeeded();
      await section.getByLabel(labels.kind).check();
      await section.getByLabel(labels.message).fill(`(${lang}) Ngày Giỗ Tổ Hùng Vương năm 2026 ghi sai ngày.`);
      await section.getByLabel(labels.email).fill(`ban-${lang}@example.vn`);
      assert.equal(await section.locator('#feedback-website').isVisible(), false, 'the honeypot is hidden');
      await section.getByRole('button', { name: labels.send }).click();
      await page.waitForURL(/feedback=sent/);
      const said = await page.getByRole('status').allTextContents();
      assert.ok(said.some((t) => t.includes(labels.sent)), `status: ${said} at ${page.url()}`);
      await shot(page, `feedback-sent-${lang}`);
    }
    // The agency answers (the API, as its curation page would).
    const queue = await (await fetch(`${base}/api/v1/feedback/queue`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
    assert.equal(queue.items.length, 2, 'both posts wait for moderation');
    const r = await fetch(`${base}/api/v1/feedback/${queue.items[0].id}/answer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ answer: 'Cảm ơn bạn, ngày đã được sửa.' }),
    });
    assert.equal(r.status, 200);
    await page.goto(`${base}/dataset/public-holidays?lang=vi`);
    const thread = page.locator(`#feedback-${queue.items[0].id}`);
    assert.match(await thread.textContent(), /Cảm ơn bạn, ngày đã được sửa\./);
    assert.match(await thread.textContent(), /Đã trả lời/);
    assert.equal((await page.content()).includes('ban-vi@example.vn'), false, 'the address is never shown');
    await shot(page, 'feedback-answered-vi');
    assert.deepEqual(page.problems, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('the statistics page shows its figures and charts, in both languages', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    const api = await (await fetch(`${base}/api/v1/stats`)).json();
    for (const [lang, heading, perAgency] of [
      ['vi', 'Số liệu thống kê', 'Bộ dữ liệu theo cơ quan'],
      ['en', 'Statistics', 'Datasets per agency'],
    ]) {
      await page.goto(`${base}/stats?lang=${lang}`);
      assert.equal(await page.getByRole('heading', { level: 1, name: heading }).count(), 1);
      const table = page.getByRole('region', { name: new RegExp(perAgency) });
      assert.equal(await table.locator('tbody tr').count(), api.perAgency.length);
      assert.equal(await table.locator('svg[role="img"]').count(), api.perAgency.length);
      assert.ok(await page.locator('svg.usage-chart title').count() >= 13, 'a chart title and one per month');
      assert.equal(await page.getByRole('link', { name: 'CSV' }).getAttribute('href'), '/stats.csv');
      await shot(page, `stats-${lang}`);
    }
    assert.deepEqual(page.problems, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('axe-core finds no serious or critical violation on the feedback and statistics pages', async () => {
    // The injected axe script is inline: only this context bypasses the pages' Content-Security-Policy.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const failures = [];
    for (const lang of ['vi', 'en']) {
      for (const [name, url] of [
        ['dataset with feedback', `${base}/dataset/public-holidays`],
        ['code list with feedback', `${base}/registry/themes`],
        ['stats', `${base}/stats`],
        ['data requests', `${base}/data-requests`],
      ]) {
        await page.goto(`${url}?lang=${lang}`);
        await page.addScriptTag({ path: axePath });
        const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
        for (const v of results.violations) {
          const line = `${name} (${lang}): [${v.impact}] ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`;
          console.log(line);
          if (v.impact === 'serious' || v.impact === 'critical') failures.push(line);
        }
        console.log(`axe ${name} (${lang}): ${results.violations.length} violation(s)`);
      }
    }
    assert.deepEqual(failures, [], 'serious or critical accessibility violations');
    await context.close();
  });
});
