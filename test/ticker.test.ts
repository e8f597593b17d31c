import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './support/stack.ts';

/** Debian's chromium: playwright-core drives it and never downloads a browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** apt-get may have to fetch the package lists first. */
const INSTALL_LIMIT_MS = 10 * 60_000;
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
/** How long the page gets to show what the API did. */
const SHOW_WITHIN_MS = 10_000;

// The project's own install step (also npm test's pretest), for runs that start here.
if (!existsSync(CHROMIUM))
  spawnSync('bash', [join(import.meta.dirname, '..', 'scripts', 'install-chromium.sh')], { stdio: 'inherit', timeout: INSTALL_LIMIT_MS });
const missing = existsSync(CHROMIUM)
  ? null
  : `${CHROMIUM} is missing and scripts/install-chromium.sh could not install it (needs root and apt-get)`;
if (missing) console.warn(`ticker browser test skipped: ${missing}`);

let context: BrowserContext;
let profile: string;

describe.skipIf(missing !== null)(`the ticker page in headless Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const stack = useStack();
  const { api } = stack;
  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'stockgate-chromium-'));
    // A fresh profile per run; playwright passes it as --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1400, height: 300 },
    });
  });
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const text = (page: Page, skuId: string, part: string) => page.locator(`[data-sku="${skuId}"] ${part}`);

  it('shows live levels from stockgate alone, flashes on a deduct and marks a sold-out SKU', async () => {
    const res = await api.upsert([
      { id: 'tee-red-m', name: 'Red tee, M', available: 24, lowStockThreshold: 5 },
      { id: 'cap-navy', name: 'Navy cap', available: 3, lowStockThreshold: 5 },
      { id: 'mug-white', name: 'White mug', available: 120 },
      { id: 'socks-wool', name: 'Wool socks', available: 4, lowStockThreshold: 5 },
      { id: 'gift-card', name: 'Gift card', unlimited: true },
    ]);
    expect(res.errors).toBeUndefined();

    const page = await context.newPage();
    const origin = new URL(stack.svc.url).origin;
    const requests: string[] = [];
    const sockets: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('websocket', (ws) => sockets.push(ws.url()));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(`${origin}/ticker?skus=tee-red-m,cap-navy,mug-white,socks-wool,gift-card`);
    await expect.poll(() => text(page, 'tee-red-m', '.available').textContent(), { timeout: SHOW_WITHIN_MS }).toBe('24');
    await expect.poll(() => text(page, 'gift-card', '.available').textContent(), { timeout: SHOW_WITHIN_MS }).toBe('∞');
    expect(await text(page, 'tee-red-m', '.name').textContent()).toBe('Red tee, M');
    expect(await text(page, 'cap-navy', '.pill').textContent()).toBe('Low stock');
    expect(await text(page, 'socks-wool', '.pill').textContent()).toBe('Low stock');
    expect(await page.locator('.connection').getAttribute('data-connection')).toBe('live');
    expect(await text(page, 'tee-red-m', '.stamp').isVisible()).toBe(false);

    // A deduct through the API changes the number and flashes the card.
    await api.deducted('web-1', [{ skuId: 'tee-red-m', quantity: 2 }]);
    await expect.poll(() => text(page, 'tee-red-m', '.available').textContent(), { timeout: SHOW_WITHIN_MS }).toBe('22');
    const tee = page.locator('[data-sku="tee-red-m"]');
    expect(await tee.getAttribute('data-flashes')).toBe('1');
    expect(await tee.getAttribute('class')).toContain('flash-down');

    // Selling the last units marks the SKU sold out.
    await api.deducted('web-2', [{ skuId: 'cap-navy', quantity: 3 }]);
    const cap = page.locator('[data-sku="cap-navy"]');
    await expect.poll(() => cap.getAttribute('data-state'), { timeout: SHOW_WITHIN_MS }).toBe('SOLD_OUT');
    expect(await cap.getAttribute('class')).toContain('sold-out');
    expect(await text(page, 'cap-navy', '.stamp').isVisible()).toBe(true);
    expect(await text(page, 'cap-navy', '.available').textContent()).toBe('0');
    await api.deducted('web-3', [{ skuId: 'mug-white', quantity: 1 }]);
    await expect.poll(() => text(page, 'mug-white', '.available').textContent(), { timeout: SHOW_WITHIN_MS }).toBe('119');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'ticker.png') });

    // Everything came from stockgate: the page, its script, graphql-ws's client and the WebSocket.
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
    expect(requests).toContain(`${origin}/ticker/vendor/graphql-ws/client.js`);
    expect(sockets).toEqual([`${origin.replace('http', 'ws')}/graphql`]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('during a sale: a sparkline of the last 10 minutes, units sold per minute from the ledger (before the page opened too), alerts as they come', async () => {
    await api.upserted([
      { id: 'sale-hoodie', name: 'Launch hoodie', available: 40, lowStockThreshold: 10 },
      { id: 'sale-pin', name: 'Enamel pin', available: 5 },
    ]);
    // Sold before the page opened: the page reads them from the ledger.
    for (let i = 0; i < 3; i++) await api.deducted(`sale-before-${i}`, [{ skuId: 'sale-hoodie', quantity: 2 }]);

    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.setViewportSize({ width: 1400, height: 700 });
    await page.goto(`${new URL(stack.svc.url).origin}/ticker?skus=sale-hoodie,sale-pin`);
    const hoodie = page.locator('[data-sku="sale-hoodie"]');
    await expect.poll(() => hoodie.getAttribute('data-sold-last-minute'), { timeout: SHOW_WITHIN_MS }).toBe('6');
    await expect.poll(() => page.locator('.connection').getAttribute('data-connection'), { timeout: SHOW_WITHIN_MS }).toBe('live');

    // Sold while it is open: the feed counts them, and the pin sells out and raises alerts.
    for (let i = 0; i < 4; i++) await api.deducted(`sale-after-${i}`, [{ skuId: 'sale-hoodie', quantity: 6 }]);
    await api.deducted('sale-pins', [{ skuId: 'sale-pin', quantity: 5 }]);
    await expect.poll(() => hoodie.getAttribute('data-sold-last-minute'), { timeout: SHOW_WITHIN_MS }).toBe('30');
    await expect.poll(() => text(page, 'sale-hoodie', '.available').textContent(), { timeout: SHOW_WITHIN_MS }).toBe('10');
    expect(await text(page, 'sale-hoodie', '.rate').textContent()).toBe('30 sold in the last minute');
    const bars = await text(page, 'sale-hoodie', '.bars rect').evaluateAll((rects) =>
      rects.map((r) => Number(r.getAttribute('data-units'))),
    );
    expect(bars).toHaveLength(10);
    expect(bars.reduce((a, b) => a + b, 0)).toBe(30);
    // The level from 40 down to 10 over the window: several steps, history included.
    expect(Number(await text(page, 'sale-hoodie', '.spark').getAttribute('data-levels'))).toBeGreaterThanOrEqual(4);
    expect(await text(page, 'sale-hoodie', '.spark polyline').getAttribute('points')).toMatch(/^[\d.]+,[\d.]+( [\d.]+,[\d.]+){4,}$/);
    await expect
      .poll(() => page.locator('.alerts li[data-kind="SOLD_OUT"][data-alert-sku="sale-pin"]').count(), { timeout: SHOW_WITHIN_MS })
      .toBe(1);
    await expect
      .poll(() => page.locator('.alerts li[data-kind="LOW_STOCK"][data-alert-sku="sale-hoodie"]').count(), { timeout: SHOW_WITHIN_MS })
      .toBe(1);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'ticker-sale.png') });
    expect(problems).toEqual([]);
    await page.close();
  });
});
