/**
 * GraphiQL is served from the installed packages, not from a CDN (issue 13): the page inlines its
 * script, stylesheet and editor workers, so a service behind a firewall or with no internet still shows
 * its playground. Checked on the HTML itself, then in headless Chromium with every request to another
 * origin refused and recorded, and with introspection off, where no page is served.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderGraphiQL as yogaCdnPage } from 'graphql-yoga';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useStack } from './support/stack.ts';

/** Debian's chromium, as in test/ticker.test.ts: playwright-core never downloads a browser of its own. */
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
/** How long GraphiQL gets to load its schema and answer a query (its page is 9 MB of inline script). */
const SHOW_WITHIN_MS = 30_000;
/** A host that is reserved never to resolve (RFC 2606), for the probe that shows the recording works. */
const PROBE = 'https://cdn.graphiql-probe.invalid/graphiql.min.js';

// The project's own install step (also npm test's pretest), for runs that start here.
if (!existsSync(CHROMIUM))
  spawnSync('bash', [join(import.meta.dirname, '..', 'scripts', 'install-chromium.sh')], { stdio: 'inherit', timeout: INSTALL_LIMIT_MS });
const missing = existsSync(CHROMIUM)
  ? null
  : `${CHROMIUM} is missing and scripts/install-chromium.sh could not install it (needs root and apt-get)`;
if (missing) console.warn(`GraphiQL browser test skipped: ${missing}`);

/**
 * Every script, stylesheet, CSS import and icon the HTML loads from an absolute address: `http://`,
 * `https://` or scheme-relative `//` (data: URIs and same-origin paths are not).
 */
function externalAssets(html: string): string[] {
  const references = [
    ...html.matchAll(/<script\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)/gi),
    ...html.matchAll(/<link\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)/gi),
    ...html.matchAll(/@import\s+(?:url\()?\s*["']?([^"')\s;]+)/gi),
  ].map((match) => match[1]!);
  return references.filter((reference) => /^(?:[a-z][a-z\d+.-]*:)?\/\//i.test(reference));
}

/** The CDNs a GraphiQL page is usually loaded from, named anywhere in the HTML. */
const CDN = /unpkg\.com|jsdelivr\.net|esm\.sh|cdnjs\.cloudflare\.com|skypack\.dev|jspm\.io/gi;

describe('GraphiQL from the installed packages', () => {
  const stack = useStack({ env: { GRAPHQL_INTROSPECTION: 'true' } });

  const page = (url: string) => fetch(url, { headers: { accept: 'text/html' } });

  it('answers GET /graphql for a browser with the GraphiQL page, which loads nothing from another origin', async () => {
    // The checks find the CDN assets of Yoga's own page, so finding none below means something.
    const cdnPage = yogaCdnPage({ title: 'stockgate' });
    expect(externalAssets(cdnPage)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^https:\/\/unpkg\.com\/.*\.js$/),
        expect.stringMatching(/^https:\/\/unpkg\.com\/.*\.css$/),
      ]),
    );
    expect(cdnPage.match(CDN)?.length).toBeGreaterThanOrEqual(2);

    const res = await page(stack.svc.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<title>stockgate</title>');
    expect(html).toContain('"subscriptionsProtocol":"WS"');
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL(');
    // The bundle itself is in the page: GraphiQL's stylesheet and script, not a link to them.
    expect(html).toMatch(/\.graphiql-container\s*\{/);
    expect(html.length).toBeGreaterThan(1_000_000);
    expect(externalAssets(html)).toEqual([]);
    expect(html.match(CDN) ?? []).toEqual([]);
  });

  it.skipIf(missing !== null)(
    `renders in Chromium and runs a query with every other origin refused${missing ? ` (skipped: ${missing})` : ''}`,
    async () => {
      const origin = new URL(stack.svc.url).origin;
      /** Whether a URL the page asked for leaves the server's origin (data: and blob: URLs never leave the page). */
      const offOrigin = (raw: string): boolean => {
        const url = new URL(raw);
        if (url.protocol === 'data:') return false;
        if (url.protocol === 'blob:') return new URL(url.pathname).origin !== origin;
        return url.origin !== origin && url.origin !== origin.replace(/^http/, 'ws');
      };
      const profile = mkdtempSync(join(tmpdir(), 'stockgate-chromium-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_FLAGS,
        viewport: { width: 1400, height: 800 },
      });
      try {
        const tab = await context.newPage();
        const refused: string[] = [];
        const requests: string[] = [];
        const sockets: string[] = [];
        const problems: string[] = [];
        // As behind a firewall: nothing but the service itself is reachable.
        await tab.route('**/*', (route) => {
          const url = route.request().url();
          if (!offOrigin(url)) return route.continue();
          refused.push(url);
          return route.abort('blockedbyclient');
        });
        tab.on('request', (r) => requests.push(r.url()));
        tab.on('websocket', (ws) => sockets.push(ws.url()));
        tab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
        tab.on('pageerror', (e) => problems.push(e.message));

        // GraphiQL takes the operation from the address, as a shared link would give it.
        await tab.goto(`${stack.svc.url}?query=${encodeURIComponent('{ __typename }')}`);
        await tab
          .locator('.graphiql-container')
          .first()
          .waitFor({ state: 'visible', timeout: SHOW_WITHIN_MS })
          .catch((error: Error) => {
            throw new Error(`GraphiQL did not render; refused requests to other origins: ${JSON.stringify(refused)}`, { cause: error });
          });
        await tab.locator('.graphiql-query-editor').waitFor({ state: 'visible', timeout: SHOW_WITHIN_MS });
        await tab.locator('.graphiql-execute-button').click({ timeout: SHOW_WITHIN_MS });
        await expect
          .poll(() => tab.locator('.graphiql-response').textContent(), { timeout: SHOW_WITHIN_MS })
          .toMatch(/"__typename":\s*"Query"/);

        mkdirSync(ARTIFACTS, { recursive: true });
        await tab.screenshot({ path: join(ARTIFACTS, 'graphiql.png') });

        // The page, its introspection query and the query run: all from stockgate, nothing refused.
        expect(requests).toContain(`${stack.svc.url}?query=${encodeURIComponent('{ __typename }')}`);
        expect(requests.filter((url) => url === stack.svc.url).length).toBeGreaterThanOrEqual(2);
        expect(requests.filter(offOrigin)).toEqual([]);
        expect(refused).toEqual([]);
        expect(sockets.filter(offOrigin)).toEqual([]);
        expect(problems).toEqual([]);

        // The guard sees what it must refuse: a request to another origin is recorded and goes nowhere.
        const probed = await tab.evaluate(
          (url) =>
            fetch(url).then(
              () => 'loaded',
              () => 'refused',
            ),
          PROBE,
        );
        expect(probed).toBe('refused');
        expect(refused).toEqual([PROBE]);
        await tab.close();
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    },
  );

  it('GRAPHQL_INTROSPECTION=false: no GraphiQL page', async () => {
    const closed = await stack.serve({ GRAPHQL_INTROSPECTION: 'false' });
    const res = await page(closed.url);
    const body = await res.text();
    expect(res.status).not.toBe(200);
    expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(body).not.toContain('<html');
    expect(body).not.toContain('YogaGraphiQL');
    // The page stays on the instance with introspection on.
    expect((await page(stack.svc.url)).status).toBe(200);
    await closed.stop();
  });
});
