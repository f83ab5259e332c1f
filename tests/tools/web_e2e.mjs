#!/usr/bin/env node
// End-to-end check of flowhound's page in a real browser (Debian's chromium through
// playwright-core): the totals, the alerts, a click in a top-N table that runs a flow
// search, the graphs, a bad filter, a drag-select on a graph, and no console errors.
//
//   node tests/tools/web_e2e.mjs --url http://127.0.0.1:PORT/ --expect FILE.json \
//        --screenshot OUT.png [--token T] [--timeout SECONDS]
//
// FILE.json: {"totals":{"flows":N,"packets":N,"bytes":N},
//             "alerts":[{"type":"scan.horizontal","src":"198.51.100.7"}, ...],
//             "click_port":{"by":"dstport","val":"53"}, "from":MS, "to":MS}
// ("from"/"to" are optional and go into the page's address as #from=..&to=..).
// Prints one line per check and exits 0 only if all of them passed.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// playwright-core lives in web/node_modules (web/package.json), whatever the cwd is.
const requireFromWeb = createRequire(path.resolve(here, '../../web/package.json'));

function usage(msg) {
  if (msg) console.error(`web_e2e: ${msg}`);
  console.error('usage: web_e2e.mjs --url URL --expect FILE.json --screenshot OUT.png [--token T] [--timeout SECONDS]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { timeout: 60 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const names = { '--url': 'url', '--expect': 'expect', '--screenshot': 'screenshot', '--token': 'token', '--timeout': 'timeout' };
    if (flag === '-h' || flag === '--help') usage();
    if (!(flag in names)) usage(`unknown argument ${flag}`);
    if (i + 1 >= argv.length) usage(`${flag} wants a value`);
    opts[names[flag]] = argv[++i];
  }
  for (const k of ['url', 'expect', 'screenshot']) if (!opts[k]) usage(`--${k} is required`);
  opts.timeout = Number(opts.timeout) * 1000;
  if (!(opts.timeout > 0)) usage('--timeout wants a number of seconds');
  return opts;
}

// The filter the page puts into the search box for a top-N value (as web/static/app.js).
function filterFor(by, val) {
  const forms = {
    dstport: `dst port ${val}`, srcport: `src port ${val}`, port: `port ${val}`,
    srcip: `src ip ${val}`, dstip: `dst ip ${val}`, ip: `ip ${val}`, proto: `proto ${String(val).toLowerCase()}`,
  };
  return forms[by];
}

// Does a flow row (its data-* attributes) belong to the clicked top-N value?
function rowMatches(by, val, row) {
  switch (by) {
    case 'dstport': return row.dport === val;
    case 'srcport': return row.sport === val;
    case 'port': return row.sport === val || row.dport === val;
    case 'srcip': return row.src === val;
    case 'dstip': return row.dst === val;
    case 'ip': return row.src === val || row.dst === val;
    default: return true;
  }
}

const opts = parseArgs(process.argv.slice(2));
const expect = JSON.parse(readFileSync(opts.expect, 'utf8'));
let failures = 0;

function check(name, ok, detail) {
  if (ok) console.log(`ok    ${name}`);
  else {
    failures++;
    console.log(`FAIL  ${name}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}

function pageUrl() {
  const u = new URL(opts.url);
  const hash = new URLSearchParams();
  if (expect.from != null && expect.to != null) {
    hash.set('from', String(expect.from));
    hash.set('to', String(expect.to));
  }
  if (opts.token) hash.set('token', opts.token);
  u.hash = hash.toString();
  return u.toString();
}

// Wait for a condition in the page; false (not an exception) when it does not come.
async function waitIn(page, fn, arg, timeout = opts.timeout) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    return true;
  } catch {
    return false;
  }
}

// Back to the top (the page scrolls smoothly to the flow search): the sticky header is then
// where it belongs in a full-page screenshot, and the graphs are in the viewport.
async function scrollTop(page) {
  await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
  await waitIn(page, () => window.scrollY === 0, null, 5000);
}

async function shoot(page) {
  await scrollTop(page);
  // Chromium draws the sticky header of a full-page capture below its place, over the
  // totals: keep it in the flow for the picture.
  const style = await page.addStyleTag({ content: 'header.top { position: static !important; }' });
  await page.screenshot({ path: opts.screenshot, fullPage: true });
  await style.evaluate((node) => node.remove());
  console.log(`      screenshot: ${opts.screenshot}`);
}

async function run(page, consoleErrors) {
  await page.goto(pageUrl(), { waitUntil: 'load', timeout: opts.timeout });
  const loaded = await waitIn(page, () => document.body.dataset.state === 'ready');
  if (!loaded) {
    const why = await page.evaluate(() => ['#auth', '#banner']
      .map((id) => document.querySelector(id))
      .filter((e) => e && !e.hidden)
      .map((e) => e.innerText.replace(/\s+/g, ' ').trim())
      .join(' | '));
    check('page loaded its data', false, `${why || 'body never reached data-state=ready'}` +
      (consoleErrors.length ? ` (console: ${consoleErrors.join(' | ')})` : ''));
    await shoot(page);
    return;
  }
  check('page loaded its data', true);

  // Totals: exact integers in data-value.
  for (const key of ['flows', 'packets', 'bytes']) {
    const got = await page.getAttribute(`[data-testid="total-${key}"]`, 'data-value');
    const want = expect.totals && expect.totals[key];
    check(`total ${key} = ${want}`, want != null && got === String(want), `page shows ${got}`);
  }

  const canvases = await page.locator('canvas').count();
  check('graphs drawn (>= 3 canvases)', canvases >= 3, `${canvases} canvas elements`);

  // Alerts: all of them, whatever their status; they may take a few polls to arrive.
  await page.selectOption('[data-testid="alert-status"]', 'all');
  const wanted = expect.alerts || [];
  await waitIn(page, (list) => list.every((a) =>
    document.querySelector(`[data-testid="alert"][data-type="${CSS.escape(a.type)}"][data-src="${CSS.escape(a.src)}"]`)), wanted);
  const shown = await page.$$eval('[data-testid="alert"]', (els) => els.map((e) => `${e.dataset.type} ${e.dataset.src}`));
  for (const a of wanted) {
    check(`alert ${a.type} from ${a.src}`, shown.includes(`${a.type} ${a.src}`),
      `the page lists ${shown.length ? shown.join(', ') : 'no alerts'}`);
  }

  // A top-N value runs a flow search for it.
  const cp = expect.click_port;
  if (cp) {
    const filter = filterFor(cp.by, cp.val);
    const row = page.locator(`[data-testid="top-row"][data-by="${cp.by}"][data-val="${cp.val}"]`);
    // The value may be in the top 10 by one order and not by another: try each.
    const seen = [];
    for (const order of ['', 'flows', 'packets', 'bytes']) {
      if (order) {
        await page.selectOption('[data-testid="top-order"]', order);
        await waitIn(page, (o) => {
          const th = document.querySelector('.top-table th.ordered');
          return th && th.textContent === o;
        }, order, 15000);
      }
      if (await row.count() > 0) break;
      const vals = await page.$$eval(`[data-testid="top-row"][data-by="${cp.by}"]`, (els) => els.map((e) => e.dataset.val));
      seen.push(`${order || 'default order'}: ${vals.join(', ') || 'none'}`);
    }
    if (check(`top ${cp.by} has ${cp.val}`, await row.count() > 0, seen.join('; '))) {
      await row.first().locator('button').first().click();
      const done = await waitIn(page, (q) => {
        const t = document.querySelector('[data-testid="flow-results"]');
        return t && t.dataset.query === q && (t.dataset.state === 'done' || t.dataset.state === 'error');
      }, filter);
      const boxValue = await page.inputValue('[data-testid="flow-filter"]');
      check(`flow-filter holds "${filter}"`, boxValue === filter, `it holds "${boxValue}"`);
      const err = (await page.locator('[data-testid="flow-error"]').innerText()).trim();
      check('flow search finished without an error', done && !err, err || 'no result in time');
      const rows = await page.$$eval('[data-testid="flow-row"]', (els) => els.map((e) => ({ ...e.dataset })));
      check('flow search returned rows', rows.length > 0, 'no flow-row');
      const bad = rows.filter((r) => !rowMatches(cp.by, String(cp.val), r));
      check(`every flow row matches ${cp.by} ${cp.val}`, bad.length === 0,
        `${bad.length} do not, e.g. ${JSON.stringify(bad[0])}`);
      const matched = Number(await page.getAttribute('[data-testid="flow-matched"]', 'data-value'));
      check('flow-matched counts at least the rows shown', matched >= rows.length, `data-value ${matched}, ${rows.length} rows`);
    }
  }

  await shoot(page);
  check('no console errors', consoleErrors.length === 0, consoleErrors.join(' | '));

  // A bad filter is shown next to the search box (the 400 it causes is logged by chromium,
  // hence after the console check).
  await page.fill('[data-testid="flow-filter"]', 'dst port foo');
  await page.click('[data-testid="flow-search"]');
  const errShown = await waitIn(page, () => {
    const e = document.querySelector('[data-testid="flow-error"]');
    return e && e.textContent.trim() !== '';
  }, null, 15000);
  const errText = (await page.locator('[data-testid="flow-error"]').innerText()).trim();
  check('a bad filter shows its error', errShown && /filter/.test(errText), errText || 'nothing shown');

  // A drag across the first graph narrows the range of every panel; "back" restores it.
  const before = await page.$eval('[data-testid="range-label"]', (e) => ({ ...e.dataset }));
  const loadedBefore = await page.$eval('body', (b) => b.dataset.loaded);
  const over = page.locator('#chart-flows .u-over');
  await scrollTop(page);
  const box = await over.boundingBox();
  if (check('graph has a drag area', box != null, 'no .u-over in #chart-flows')) {
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.6, y, { steps: 4 });
    await page.mouse.up();
    const zoomed = await waitIn(page, (n) => document.body.dataset.loaded !== n && document.body.dataset.state === 'ready',
      loadedBefore, 15000);
    const after = await page.$eval('[data-testid="range-label"]', (e) => ({ ...e.dataset }));
    check('drag-select narrows the range', zoomed && Number(after.from) > Number(before.from) &&
      Number(after.to) < Number(before.to), `before ${before.from}-${before.to}, after ${after.from}-${after.to}`);
    if (!zoomed) return;
    const flowsAfter = await page.getAttribute('[data-testid="total-flows"]', 'data-value');
    check('totals follow the narrower range', flowsAfter != null && BigInt(flowsAfter) <= BigInt(expect.totals.flows),
      `total flows ${flowsAfter}`);
    await page.click('[data-testid="range-back"]', { timeout: 5000 });
    await waitIn(page, (b) => {
      const d = document.querySelector('[data-testid="range-label"]').dataset;
      return d.from === b.from && d.to === b.to && document.body.dataset.state === 'ready';
    }, before, 15000);
    const back = await page.$eval('[data-testid="range-label"]', (e) => ({ ...e.dataset }));
    check('"back" restores the range', back.from === before.from && back.to === before.to,
      `${back.from}-${back.to}`);
    const flowsBack = await page.getAttribute('[data-testid="total-flows"]', 'data-value');
    check('totals are back', flowsBack === String(expect.totals.flows), `total flows ${flowsBack}`);
  }
}

const { chromium } = requireFromWeb('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  await run(page, consoleErrors);
} catch (err) {
  check('the test ran to its end', false, err.message.split('\n')[0]);
} finally {
  await browser.close();
}
console.log(failures ? `web_e2e: ${failures} check(s) failed` : 'web_e2e: all checks passed');
process.exit(failures ? 1 : 0);
