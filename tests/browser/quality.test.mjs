// Browser test of quality on the public web site (issue 18), in Debian's headless Chromium: the dataset page shows
// its metadata quality score, each dimension and what to fix in plain words; the catalog-wide page `/quality` shows
// the totals and each indicator's share as a chart; both in Vietnamese and in English, with no Content-Security-Policy
// complaint and no serious or critical axe-core violation.
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

  test('axe-core finds no serious or critical violation on the quality pages', async () => {
    // The injected axe script is inline: only this context bypasses the pages' Content-Security-Policy.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const failures = [];
    for (const lang of ['vi', 'en']) {
      for (const [name, url] of pages()) {
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
