// Browser test of quality on the public web site (issue 18), in Debian's headless Chromium: the dataset page shows
// its metadata quality score, each dimension and what to fix in plain words; the catalog-wide page `/quality` shows
// the totals and each indicator's share as a chart; the search page sorts by the score and filters by its rating band;
// all in Vietnamese and in English, with no Content-Security-Policy complaint and no serious or critical axe-core
// violation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { axePath, launchChromium, shot, startServer, watchedPage } from './support.mjs';

let server;
let base;
let browser;

const pages = () => [
  ['dataset quality', `${base}/dataset/public-holidays`],
  ['quality', `${base}/quality`],
  ['agency quality', `${base}/agency/G22`],
  ['search by quality', `${base}/search?sort=quality`],
];

describe('quality pages', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer('browser-quality');
    base = server.base;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the dataset page shows its score and how to improve it, in both languages', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    const api = await (await fetch(`${base}/api/v1/datasets/public-holidays/quality`)).json();
    for (const [lang, heading, improve] of [
      ['vi', 'Chất lượng siêu dữ liệu', 'Cách cải thiện'],
      ['en', 'Metadata quality', 'How to improve'],
    ]) {
      await page.goto(`${base}/dataset/public-holidays?lang=${lang}`);
      const section = page.locator('section.quality');
      await section.getByRole('heading', { name: heading }).scrollIntoViewIfNeeded();
      const score = await section.locator('.quality-score').textContent();
      assert.ok(score.includes(`${api.score.points}`) && score.includes(`${api.score.maxPoints}`), `score: ${score}`);
      assert.equal(await section.getByRole('heading', { name: improve }).count(), 1);
      const missing = api.score.indicators.filter((i) => !i.met);
      const hints = await section.locator('.quality-hints li').allTextContents();
      assert.equal(hints.length, missing.length, `hints: ${hints}`);
      for (const indicator of missing) {
        assert.ok(hints.some((h) => h.includes(indicator.hint[lang])), `no hint for ${indicator.id} in ${lang}`);
      }
      assert.equal(await section.locator('dl .fact').count(), 5, 'one line per dimension');
      await shot(page, `dataset-quality-${lang}`);
    }
    assert.deepEqual(page.problems, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('the quality page shows the catalog totals and each indicator as a chart, in both languages', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    const api = await (await fetch(`${base}/api/v1/quality`)).json();
    for (const [lang, heading] of [['vi', 'Chất lượng dữ liệu'], ['en', 'Data quality']]) {
      await page.goto(`${base}/quality?lang=${lang}`);
      assert.equal(await page.getByRole('heading', { level: 1, name: heading }).count(), 1);
      assert.match(await page.locator('.quality-total').textContent(), new RegExp(`${api.catalog.percent}%`));
      const bars = page.locator('table.quality-indicators svg.quality-bar');
      assert.equal(await bars.count(), api.indicators.length);
      const first = api.indicators[0];
      const share = Math.floor((first.met * 100) / Math.max(first.datasets, 1));
      assert.equal(await bars.first().getAttribute('aria-label'), `${share}%`);
      assert.ok(await page.locator('a[href^="/agency/"]').count() >= 1, 'agencies are listed');
      await shot(page, `quality-${lang}`);
    }
    assert.deepEqual(page.problems, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('search sorts by the score and filters by its rating, in both languages', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    const api = await (await fetch(`${base}/api/v1/search?sort=quality&limit=20`)).json();
    assert.ok(api.items.length >= 2, 'the seed catalog has datasets');
    const points = api.items.map((h) => h.quality.points);
    assert.deepEqual(points, [...points].sort((a, b) => b - a), 'best first');
    for (const [lang, legend, prefix] of [
      ['vi', 'Chất lượng siêu dữ liệu', 'Chất lượng:'],
      ['en', 'Metadata quality', 'Quality:'],
    ]) {
      await page.goto(`${base}/search?sort=quality&lang=${lang}`);
      const badges = await page.locator('.results-list .quality-badge').allTextContents();
      assert.equal(badges.length, api.items.length);
      badges.forEach((b, i) => {
        assert.ok(b.startsWith(prefix) && b.includes(`(${api.items[i].quality.percent} %)`), `${i}: ${b}`);
      });
      assert.equal(await page.locator('#sort').inputValue(), 'quality');
      // The rating facet: tick its first band; every result then has that band.
      const facet = page.locator('aside.facets fieldset', { has: page.locator('legend', { hasText: legend }) });
      const first = facet.locator('input[type=checkbox]').first();
      const band = await first.getAttribute('value');
      const label = (await facet.locator('label').first().textContent()).replace(/\s*\(.*$/, '').trim();
      // Ticking a filter applies it at once (the page's script submits the form).
      await Promise.all([page.waitForURL(new RegExp(`quality=${band}`)), first.check()]);
      const filtered = await page.locator('.results-list .quality-badge').allTextContents();
      assert.ok(filtered.length >= 1);
      for (const b of filtered) assert.ok(b.includes(label), `${b} is not ${label}`);
      const expected = api.items.filter((h) => h.quality.rating === band).length;
      assert.ok(filtered.length >= expected, `${filtered.length} < ${expected}`);
      await shot(page, `search-quality-${lang}`);
    }
    assert.deepEqual(page.problems, [], 'the browser reported problems (CSP violations, script errors)');
    await context.close();
  });

  test('axe-core finds no serious or critical violation on the quality pages', async () => {
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
        console.log(`axe ${name} (${lang}): ${results.violations.length} violation(s)`);
      }
    }
    assert.deepEqual(failures, [], 'serious or critical accessibility violations');
    await context.close();
  });
});
