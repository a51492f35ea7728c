// Makes the README's two dashboard screenshots from a real run:
//   docs/images/dashboard-resources.png  the Resources page once every resource is Running and healthy
//   docs/images/dashboard-trace.png      the trace of one review POST: Api request, RabbitMQ publish,
//                                        Rating's processing and the rating-updated coming back into the Api
//
// How to run it:
//   1. Start the system at the repository root: ./run.sh (note the printed "Login to the dashboard at ..." URL).
//   2. Install playwright-core in a folder outside the repository (it uses the machine's Chromium; no browser
//      download is needed):  mkdir -p /tmp/shots && cd /tmp/shots && npm install playwright-core
//   3. From that folder:      node <repo>/scripts/screenshots.mjs <loginUrl> [apiUrl]
//
// Arguments or environment variables:
//   <loginUrl>  or DASHBOARD_LOGIN_URL   the dashboard's login URL, e.g. http://localhost:18888/login?t=<token>
//   [apiUrl]    or API_URL               the Api (default http://localhost:5080)
//   CHROMIUM    the browser to drive (default /usr/bin/chromium)
//   OUT_DIR     where the PNGs go (default docs/images of this repository)
//
// Each run adds one product ("Desk lamp") and one review to the running system through the Api.
// The review POST carries a sampled W3C traceparent, so its trace is kept even when the system runs with
// --Telemetry:TraceSampleRatio below 1 (the sampler is parent-based). The script prints the trace id.

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const loginUrl = process.argv[2] ?? process.env.DASHBOARD_LOGIN_URL;
const apiUrl = (process.argv[3] ?? process.env.API_URL ?? 'http://localhost:5080').replace(/\/$/, '');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.env.OUT_DIR ?? path.join(repoRoot, 'docs', 'images'));

if (!loginUrl) {
  console.error('usage: node scripts/screenshots.mjs <dashboard login URL> [api URL]');
  process.exit(2);
}
const dashboard = new URL(loginUrl).origin;

// playwright-core lives outside the repository: take it from the working folder (where it was installed).
async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch {
    const require = createRequire(path.join(process.cwd(), 'noop.js'));
    return require('playwright-core');
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, timeoutMs, probe, intervalMs = 1000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last?.ok) return last;
    } catch (error) {
      last = { error: String(error) };
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

async function api(method, route, body, headers = {}) {
  const response = await fetch(apiUrl + route, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// 1. The system is healthy; one product and one traced review go through the Api.
// /health answers JSON ({"status":"Healthy","checks":{...}}) or, on older builds, plain text.
const health = await fetch(apiUrl + '/health').then((r) => r.text());
const healthStatus = health.trim().startsWith('{') ? JSON.parse(health).status : health.trim();
if (healthStatus !== 'Healthy') throw new Error(`${apiUrl}/health answered '${health}'`);
console.log(`${apiUrl}/health: ${health.trim()}`);

const product = await api('POST', '/api/products', { name: 'Desk lamp', description: 'Warm light', price: 39.9 });
const traceId = randomBytes(16).toString('hex');
const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
const review = await api(
  'POST',
  '/api/reviews',
  { productId: product.id, firstName: 'Ada', lastName: 'Lovelace', reviewText: 'Bright enough.', rating: 4 },
  { traceparent },
);
console.log(`product ${product.id}, review ${review.id}, trace id ${traceId}`);

// The rating is back in the Api once the product shows its review (Rating answered with rating-updated).
await until('the product rating', 60_000, async () => {
  const p = await api('GET', `/api/products/${product.id}`);
  return { ok: p.reviewCount === 1 && p.averageRating === 4, reviewCount: p.reviewCount, averageRating: p.averageRating };
});

// 2. The dashboard.
const { chromium } = await loadPlaywright();
const userDataDir = mkdtempSync(path.join(tmpdir(), 'cloudtalk-shots-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1600, height: 900 },
  deviceScaleFactor: 1,
  colorScheme: 'light',
});
mkdirSync(outDir, { recursive: true });

try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(loginUrl, { waitUntil: 'networkidle' });

  // Resources: wait until every resource is Running with the green (healthy) icon; the one-shot setup steps of
  // local mode (postgres-init, postgres-databases) count when they have Finished without an error icon.
  await page.goto(dashboard + '/', { waitUntil: 'networkidle' });
  await until('every resource Running and healthy', 120_000, async () => {
    const rows = await resourceRows(page);
    const good = (r) => (r.state === 'Running' && r.severity === 'success') || (r.state === 'Finished' && r.severity === 'info');
    const bad = rows.filter((r) => !good(r));
    return { ok: rows.length > 0 && bad.length === 0, bad };
  });
  const rows = await resourceRows(page);
  console.log('resources:', rows.map((r) => `${r.name} ${r.state}${r.errors ? ` (${r.errors} error logs)` : ''}`).join(', '));
  await settle(page);
  const resourcesPng = path.join(outDir, 'dashboard-resources.png');
  await page.screenshot({ path: resourcesPng, fullPage: true });

  // The trace: its spans arrive in batches, so reload until the Api's request, Rating's processing of the review
  // event (queue rating.review-events) and the Api's processing of rating-updated (queue api.rating-updated) are all
  // there and the span count no longer grows.
  const traceUrl = `${dashboard}/traces/detail/${traceId}`;
  let previousCount = -1;
  const trace = await until('the whole trace (Api request, Rating, rating-updated back in the Api)', 120_000, async () => {
    await page.goto(traceUrl, { waitUntil: 'networkidle' });
    await settle(page);
    const spans = await page.evaluate(() =>
      [...document.querySelectorAll('tr.fluent-data-grid-row td[col-index="1"][title]')].map((td) => td.title.replace(/\s+/g, ' ')));
    const text = await page.locator('body').innerText();
    const count = Number(/Total spans\s*(\d+)/.exec(text)?.[1] ?? 0);
    const complete = spans.some((s) => /^api: POST \/api\/reviews/.test(s))
      && spans.some((s) => /^rating: .*rating\.review-events/.test(s))
      && spans.some((s) => /^api: .*api\.rating-updated/.test(s));
    const stable = count > 0 && count === previousCount;
    previousCount = count;
    return { ok: complete && stable && spans.length === count, count, spans };
  }, 3000);
  console.log(`trace ${traceId}: ${trace.count} spans\n  ${trace.spans.join('\n  ')}`);

  // Make the window tall enough for every span row (the grid scrolls inside the page, so fullPage alone cuts it).
  const firstRow = await page.locator('tr.fluent-data-grid-row[aria-rowindex="2"]').first().boundingBox();
  const rowHeight = firstRow?.height ?? 32;
  const height = Math.min(2400, Math.ceil((firstRow?.y ?? 200) + trace.count * rowHeight + 24));
  await page.setViewportSize({ width: 1600, height: Math.max(900, height) });
  await settle(page);
  const tracePng = path.join(outDir, 'dashboard-trace.png');
  await page.screenshot({ path: tracePng, fullPage: true });

  for (const file of [resourcesPng, tracePng]) {
    console.log(`${path.relative(process.cwd(), file)}: ${Math.round(statSync(file).size / 1024)} KB`);
  }
  console.log(`trace id ${traceId}`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

// The Resources grid: one row per resource with its name, its state text, the colour of its state icon (success,
// info, warning, error) and the badge beside the state that counts its error logs not yet viewed, if any.
async function resourceRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('tr.resource-row')].map((tr) => {
      const name = tr.querySelector('.resource-name-text')?.innerText.trim() ?? '';
      const cell = tr.querySelector('td[col-index="2"] .state-column-cell');
      const state = cell?.querySelector('span')?.innerText.trim() ?? '';
      const fill = cell?.querySelector('svg.severity-icon')?.getAttribute('style') ?? '';
      const severity = /--([a-z-]+)\)/.exec(fill)?.[1] ?? '';
      const errors = Number(/\d+/.exec(cell?.innerText.replace(state, '') ?? '')?.[0] ?? 0);
      return { name, state, severity, errors };
    }));
}

// Lets the page finish its render (Blazor streams updates over its circuit after the network goes quiet).
async function settle(page) {
  await page.waitForLoadState('networkidle');
  await sleep(1500);
}
