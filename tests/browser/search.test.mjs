// Browser tests of the search box (issue 21), in Debian's headless Chromium: typing shows suggestions (code items and
// datasets from /api/v1/search/suggest) that lead to a code page; the words people use for the 2025 province mergers
// find that dataset first and lead to its page; a closed province shows its successor; without JavaScript the search
// page lists the suggestions itself; axe-core finds no serious or critical violation on any of these states.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { axePath, launchChromium, shot, startServer, watchedPage } from './support.mjs';

let server;
let base;
let browser;

describe('search box', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer('browser-search-test');
    base = server.base;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('typing suggests codes and datasets; a suggestion leads to the code page, a result to the dataset page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);

    await page.goto(`${base}/search`);
    await page.locator('#q').pressSequentially('Đà Nẵ', { delay: 60 });
    const suggestion = page.locator('#suggestions a[href="/registry/administrative-units/48"]');
    await suggestion.waitFor({ timeout: 10_000 });
    assert.match(await suggestion.textContent(), /Đà Nẵng \(48\)/);
    assert.match(await page.locator('#suggestions-status').textContent(), /\d+ gợi ý/);
    await shot(page, 'search-suggestions');
    await Promise.all([page.waitForURL(/\/registry\/administrative-units\/48$/), suggestion.click()]);
    assert.match(await page.locator('h1').textContent(), /Đà Nẵng/);
    await shot(page, 'search-suggestion-code');

    // The home page's box suggests the same way, and a dataset suggestion leads to the dataset's page.
    await page.goto(`${base}/`);
    await page.locator('#home-q').pressSequentially('Đà Nẵ', { delay: 60 });
    await page.locator('#suggestions a[href="/registry/administrative-units/48"]').waitFor({ timeout: 10_000 });
    await page.locator('#home-q').fill('');
    await page.locator('#home-q').pressSequentially('sáp nhậ', { delay: 60 });
    const datasetSuggestion = page.locator('#suggestions a[href="/dataset/province-mergers-2025"]');
    await datasetSuggestion.waitFor({ timeout: 10_000 });
    await shot(page, 'home-suggestions');
    await Promise.all([page.waitForURL(/\/dataset\/province-mergers-2025$/), datasetSuggestion.click()]);

    // The phrase everyone used for the 2025 mergers, without diacritics: the mergers dataset first.
    await page.goto(`${base}/search`);
    await page.locator('#q').fill('sap nhap tinh');
    await Promise.all([page.waitForURL(/\/search\?q=sap\+nhap\+tinh/), page.keyboard.press('Enter')]);
    const first = page.locator('.results-list h3 a').first();
    assert.equal(await first.getAttribute('href'), '/dataset/province-mergers-2025');
    assert.match(await page.locator('.notice.subtle').textContent(), /sap nhap → .*hop nhat/);
    await shot(page, 'search-synonyms');
    await Promise.all([page.waitForURL(/\/dataset\/province-mergers-2025$/), first.click()]);
    assert.equal(await page.locator('h1').count(), 1);
    assert.match(await page.locator('h1').textContent(), /hợp nhất/);

    // A closed province beside the datasets: its validity and its successor, linked.
    await page.goto(`${base}/search?q=${encodeURIComponent('Quảng Nam')}`);
    const closed = page.locator('.code-hit', { has: page.locator('a[href="/registry/administrative-units/49"]') });
    assert.match(await closed.locator('.validity').textContent(), /Đã đóng từ ngày/);
    assert.equal(await closed.locator('.successors a[href="/registry/administrative-units/48"]').count(), 1);
    await shot(page, 'search-codes');
    await Promise.all([page.waitForURL(/\/registry\/administrative-units\/48$/), closed.locator('.successors a').first().click()]);

    assert.deepEqual(page.problems, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('without JavaScript, a search that finds nothing with all its words lists suggestions and says so', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/search?q=${encodeURIComponent('Đà Nẵ')}`);
    assert.equal(await page.locator('#suggestions a[href="/registry/administrative-units/48"]').count(), 1);
    await page.goto(`${base}/search?q=ngan+hnag`);
    assert.equal(await page.locator('a.did-you-mean').textContent(), 'ngan hang');
    await shot(page, 'search-did-you-mean');
    await context.close();
  });

  test('axe-core finds no serious or critical violation on the search states', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const failures = [];
    const states = [
      ['typed, suggestions shown', `${base}/search`, 'Đà Nẵ'],
      ['home page, typed, suggestions shown', `${base}/`, 'Đà Nẵ', '#home-q'],
      ['codes beside datasets', `${base}/search?q=${encodeURIComponent('Quảng Nam')}`],
      ['synonyms, did you mean', `${base}/search?q=sap+nhap+tinhh`],
      ['nothing with all words', `${base}/search?q=${encodeURIComponent('Đà Nẵ')}`],
    ];
    for (const lang of ['vi', 'en']) {
      for (const [name, url, typed, box = '#q'] of states) {
        await page.goto(`${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);
        if (typed) {
          await page.locator(box).pressSequentially(typed, { delay: 60 });
          await page.locator('#suggestions a').first().waitFor({ timeout: 10_000 });
        }
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
