// Browser tests of the public web site, in Debian's headless Chromium: a person searches without diacritics from the
// home page, narrows by a facet, opens a dataset and switches to English; the pages are screenshotted, work on a
// 360 px wide screen, start with a skip link, break no Content-Security-Policy rule, and axe-core finds no serious or
// critical accessibility violation on them.
//
// The test starts the `opendata` binary itself (see support.mjs) on a free loopback port with a temporary data
// directory and the seed data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { axePath, launchChromium, shot, startServer, watchedPage } from './support.mjs';

let server;
let base;
let browser;

describe('public web site', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer('browser-test');
    base = server.base;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('search without diacritics, narrow by a facet, open a dataset, switch to English', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);

    await page.goto(`${base}/`);
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    await shot(page, 'home');

    await page.getByLabel('Tìm tập dữ liệu').fill('don vi hanh chinh');
    await Promise.all([page.waitForURL(/\/search\?q=don\+vi\+hanh\+chinh/), page.keyboard.press('Enter')]);
    const titles = await page.locator('.results-list h3 a').allTextContents();
    assert.ok(titles.length > 0, 'the search found nothing');
    assert.ok(titles.slice(0, 3).some((t) => /hành chính/i.test(t)), `top results: ${titles.slice(0, 3)}`);
    assert.ok(await page.locator('.results-list .snippet b').count() > 0, 'no highlighted word in the snippets');
    await shot(page, 'search');

    // A facet value: checking it submits the form (the script), the filter shows as active and removable.
    const facet = page.locator('.facets fieldset').filter({ hasText: 'Cơ quan công bố' }).locator('li').first();
    const facetName = (await facet.locator('label').textContent()).replace(/\s*\(.*\)\s*$/, '').trim();
    await Promise.all([page.waitForURL(/publisher=/), facet.locator('label').click()]);
    assert.ok(await page.locator('.facets input[name="publisher"]:checked').count() === 1);
    const chips = await page.locator('.active-filters .chip').allTextContents();
    assert.ok(chips.some((c) => c.includes(facetName)), `active filters: ${chips}`);
    assert.ok(await page.locator('.results-list li').count() > 0);
    await shot(page, 'search-filtered');

    await Promise.all([page.waitForURL(/\/dataset\//), page.locator('.results-list h3 a').first().click()]);
    assert.equal(await page.locator('h1').count(), 1);
    const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').textContent());
    assert.equal(ld['@type'], 'Dataset');
    assert.equal(await page.getByRole('heading', { name: 'Thông tin chung' }).count(), 1);
    await shot(page, 'dataset');

    await Promise.all([page.waitForURL(/lang=en/), page.getByRole('link', { name: 'English' }).click()]);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.getByRole('heading', { name: 'About this dataset' }).count(), 1);
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === 'lang' && c.value === 'en' && c.sameSite === 'Lax'), JSON.stringify(cookies));
    await shot(page, 'dataset-en');

    // The choice is remembered on the next page, which has no ?lang=.
    await page.getByRole('link', { name: 'Code lists' }).click();
    await page.waitForURL(/\/registry$/);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.goto(`${base}/registry/administrative-units`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.ok(await page.locator('table.items tbody tr').count() > 10);
    await shot(page, 'code-list-en');
    await page.goto(`${base}/registry/administrative-units?lang=vi`);
    await shot(page, 'code-list');

    assert.deepEqual(page.problems, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('the dataset page charts its usage of the last 30 days', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    await page.goto(`${base}/dataset/public-holidays?lang=en`);
    await page.goto(`${base}/dataset/public-holidays?lang=en`);
    const chart = page.locator('svg.usage-chart');
    assert.equal(await chart.locator('rect.bar-views').count(), 30);
    // The first view was counted before the second page was drawn: today's bar is up.
    const height = Number(await chart.locator('rect.bar-views').last().getAttribute('height'));
    assert.ok(height > 0, `today's views bar is ${height} high`);
    assert.match(await page.locator('.usage-totals').textContent(), /Page views: 1/);
    await page.getByRole('heading', { name: 'Usage' }).scrollIntoViewIfNeeded();
    await shot(page, 'dataset-usage');
    assert.deepEqual(page.problems, [], 'the browser reported problems');
    await context.close();
  });

  test('Swagger UI shows every operation of the OpenAPI document under the Content-Security-Policy', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    await page.goto(`${base}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
    const shown = await page.locator('.opblock').count();
    const doc = await (await fetch(`${base}/openapi.json`)).json();
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    assert.equal(shown, operations, 'Swagger UI shows a different number of operations than the document has');
    await shot(page, 'api-docs');
    assert.deepEqual(page.problems, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('the keyboard reaches the skip link first and it moves focus to the main content', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    assert.ok(await page.locator('.skip-link').isVisible(), 'the focused skip link is visible');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    await context.close();
  });

  const pages = () => [
    ['home', `${base}/`],
    ['search', `${base}/search?q=don+vi+hanh+chinh&theme=localities`],
    ['dataset', `${base}/dataset/ethnic-groups`],
    ['code list', `${base}/registry/administrative-units`],
    ['code lists', `${base}/registry`],
    ['code', `${base}/registry/administrative-units/27`],
    ['agency', `${base}/agency/G12`],
  ];

  test('pages fit a 360 px wide screen', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true });
    const page = await context.newPage();
    for (const [name, url] of pages()) {
      await page.goto(url);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} is ${overflow} px wider than the screen`);
      await shot(page, `${name.replaceAll(' ', '-')}-360`);
    }
    await context.close();
  });

  test('axe-core finds no serious or critical violation', async () => {
    // The injected axe script is inline: only this context bypasses the pages' Content-Security-Policy.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const failures = [];
    for (const lang of ['vi', 'en']) {
      for (const [name, url] of pages()) {
        await page.goto(`${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);
        await page.addScriptTag({ path: axePath });
        const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
        for (const v of results.violations) {
          const line = `${name} (${lang}): [${v.impact}] ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`;
          console.log(line);
          if (v.impact === 'serious' || v.impact === 'critical') failures.push(line);
        }
        console.log(`axe ${name} (${lang}): ${results.violations.length} violation(s), ${results.passes?.length ?? '?'} rules passed`);
      }
    }
    assert.deepEqual(failures, [], 'serious or critical accessibility violations');
    await context.close();
  });
});
