// Browser test of /manage/sources (issue 20), in Debian's headless Chromium: an admin adds a DCAT catalogue as a
// harvest source (a bad entry first, refused beside the form), the server harvests it on its schedule, and the run's
// page lists every dataset written. Each page (the sources page, the refused form, the run page, in both languages)
// breaks no Content-Security-Policy rule and axe-core finds no serious or critical violation on it; screenshots go to
// target/screenshots/sources-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';

import { axePath, launchChromium, shot, startServer, watchedPage } from './support.mjs';

const ADMIN = 'sources-browser-test';

let server;
let base;
let browser;
let catalogue;
let catalogueUrl;

/** A small DCAT catalogue of two datasets of G12, themes and publisher as registry IRIs of the server under test. */
function turtle(registry) {
  const dataset = (id, title) => `
<https://agency.example.gov.vn/dataset/${id}> a dcat:Dataset ;
  dct:identifier "${id}" ;
  dct:title "${title}"@vi ;
  dct:description "Bộ dữ liệu ${title} của cơ quan."@vi ;
  dct:publisher <${registry}/agencies/G12> ;
  dcat:theme <${registry}/themes/health> ;
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://agency.example.gov.vn/files/${id}.csv> ] .`;
  return `@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://agency.example.gov.vn/catalog> a dcat:Catalog ;
  dcat:dataset <https://agency.example.gov.vn/dataset/benh-vien>, <https://agency.example.gov.vn/dataset/tram-y-te> .
${dataset('benh-vien', 'Danh sách bệnh viện')}
${dataset('tram-y-te', 'Danh sách trạm y tế')}
`;
}

async function signIn(page, token, path = '/manage/sources') {
  await page.goto(`${base}${path}`);
  assert.match(page.url(), /\/login\?next=/);
  await page.locator('#token').fill(token);
  await Promise.all([
    page.waitForURL((u) => u.pathname === path),
    page.locator('main form[action="/login"] button[type="submit"]').click(),
  ]);
}

const failures = [];

/** axe-core on the page in English and Vietnamese (left in Vietnamese for its screenshot). */
async function audit(page, name) {
  for (const lang of ['en', 'vi']) {
    const url = new URL(page.url());
    url.searchParams.set('lang', lang);
    await page.goto(url.toString());
    await page.addScriptTag({ path: axePath });
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    for (const v of results.violations) {
      const line = `${name} (${lang}): [${v.impact}] ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`;
      console.log(line);
      if (v.impact === 'serious' || v.impact === 'critical') failures.push(line);
    }
    console.log(`axe ${name} (${lang}): ${results.violations.length} violation(s)`);
  }
  await shot(page, `sources-${name}`);
}

describe('harvest sources page', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer(ADMIN, 180_000, ['--harvest-tick', '1s', '--harvest-private-sources']);
    base = server.base;
    catalogue = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle; charset=utf-8' });
      res.end(turtle(`${base}/registry`));
    });
    await new Promise((ok) => catalogue.listen(0, '127.0.0.1', ok));
    catalogueUrl = `http://127.0.0.1:${catalogue.address().port}/catalog.ttl`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await new Promise((ok) => (catalogue ? catalogue.close(ok) : ok()));
    await server?.stop();
  });

  test('an admin adds a source, the server harvests it, the run has its page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(context);
    await signIn(page, ADMIN);
    assert.equal(await page.locator('h1').textContent(), 'Nguồn đã cấu hình');
    assert.equal(await page.locator('.manage-nav a[aria-current="page"]').getAttribute('href'), '/manage/sources');

    // A bad entry is refused beside the form, what was typed kept.
    await page.locator('#url').fill('https://agency.example.gov.vn/catalog.ttl');
    await page.locator('#every').fill('1s');
    await page.locator('#agency_map').fill('{"g12": "Z99"}');
    await Promise.all([page.waitForLoadState('load'), page.locator('main form[action="/manage/sources"] button').click()]);
    await page.waitForSelector('#problems');
    const problems = await page.locator('#problems').textContent();
    assert.match(problems, /every/);
    assert.match(problems, /Z99/);
    assert.equal(await page.locator('#url').inputValue(), 'https://agency.example.gov.vn/catalog.ttl');

    await page.locator('#url').fill(catalogueUrl);
    await page.locator('#every').fill('1h');
    await page.locator('#agency_map').fill('');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/manage/sources'),
      page.locator('main form[action="/manage/sources"] button').click(),
    ]);
    assert.equal(await page.locator('table.sources tbody tr').count(), 1);

    // The scheduler runs it within a few ticks.
    const deadline = Date.now() + 60_000;
    while ((await page.locator('table.runs a').count()) === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      await page.reload();
    }
    const run = page.locator('table.runs a').first();
    assert.ok(await run.count(), 'a run is listed');
    await Promise.all([page.waitForURL(/\/manage\/sources\/runs\/\d+$/), run.click()]);
    assert.equal(await page.locator('table.changes tbody tr').count(), 2);
    assert.match(await page.locator('table.changes').textContent(), /benh-vien/);
    const harvested = await (await fetch(`${base}/api/v1/datasets/benh-vien`)).json();
    assert.equal(harvested.provenance?.source ?? harvested.content?.provenance?.source, catalogueUrl);
    // The refused form is answered with 422, which the browser logs: that one is expected.
    assert.deepEqual(page.problems.filter((p) => !/status of 422/.test(p)), []);
    await context.close();
  });

  test('axe-core finds no serious or critical violation on the sources pages', async () => {
    // The injected axe script is inline: only this context bypasses the pages' Content-Security-Policy.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signIn(page, ADMIN);
    await audit(page, 'list');
    await page.locator('#url').fill('ftp://x');
    await page.locator('#every').fill('0s');
    await Promise.all([page.waitForLoadState('load'), page.locator('main form[action="/manage/sources"] button').click()]);
    await page.waitForSelector('#problems');
    // The refused form is the answer to a post: audit it as it is, in the language of the session.
    await page.addScriptTag({ path: axePath });
    const refused = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    for (const v of refused.violations) {
      const line = `refused form: [${v.impact}] ${v.id}: ${v.help}`;
      console.log(line);
      if (v.impact === 'serious' || v.impact === 'critical') failures.push(line);
    }
    await shot(page, 'sources-refused');
    await page.goto(`${base}/manage/sources`);
    const href = await page.locator('table.runs a').first().getAttribute('href');
    await page.goto(`${base}${href}`);
    await audit(page, 'run');
    await context.close();
    assert.deepEqual(failures, [], 'serious or critical accessibility violations');
  });
});
