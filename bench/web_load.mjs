#!/usr/bin/env node
// Page load time of flowhound's web view in headless Chromium (playwright-core from
// web/node_modules): from navigation until the totals of the range are on the page, REPS
// times; prints the median and the range in ms.
//   node bench/web_load.mjs URL FROM_MS TO_MS [REPS]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(path.resolve(here, '../web/package.json'))('playwright-core');
const [url, from, to, repsArg] = process.argv.slice(2);
if (!url || !from || !to) {
  console.error('usage: web_load.mjs URL FROM_MS TO_MS [REPS]');
  process.exit(2);
}
const reps = Number(repsArg || 5);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const times = [];
for (let i = 0; i < reps; i++) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const t0 = Date.now();
  await page.goto(`${url}#from=${from}&to=${to}`);
  await page.waitForSelector('[data-testid="total-flows"][data-value]:not([data-value=""])', { timeout: 60000 });
  await page.waitForSelector('[data-testid="top-row"]', { timeout: 60000 });
  times.push(Date.now() - t0);
  await page.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(`${times[Math.floor((times.length - 1) / 2)]} ${times[0]} ${times[times.length - 1]}`);
