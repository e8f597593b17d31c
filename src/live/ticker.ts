import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

/** The page's own files: static, small, read once at start. */
const TICKER_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ticker');
export const TICKER_PATH = '/ticker';
const VENDOR_PATH = `${TICKER_PATH}/vendor/graphql-ws`;

/**
 * Everything the page loads comes from here (no CDN): 'self' for scripts, styles and the WebSocket
 * back to this server, nothing else.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: string;
  type: string;
}

/**
 * graphql-ws's browser client, as its package ships it (an ES module and the chunks it imports), so the
 * page gets the very client version the server speaks.
 */
function graphqlWsClient(): Map<string, Asset> {
  const dist = dirname(createRequire(import.meta.url).resolve('graphql-ws/client'));
  const files = new Map<string, Asset>();
  const pending = ['client.js'];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (files.has(`${VENDOR_PATH}/${name}`)) continue;
    const body = readFileSync(join(dist, name), 'utf8');
    files.set(`${VENDOR_PATH}/${name}`, { body, type: TYPES['.js']! });
    for (const [, imported] of body.matchAll(/from\s+'\.\/([\w.-]+\.js)'/g)) pending.push(imported!);
  }
  return files;
}

function assets(): Map<string, Asset> {
  const files = graphqlWsClient();
  files.set(TICKER_PATH, { body: readFileSync(join(TICKER_DIR, 'index.html'), 'utf8'), type: TYPES['.html']! });
  for (const name of ['ticker.js', 'ticker.css', 'favicon.svg']) {
    files.set(`${TICKER_PATH}/${name}`, {
      body: readFileSync(join(TICKER_DIR, name), 'utf8'),
      type: TYPES[name.slice(name.lastIndexOf('.'))]!,
    });
  }
  return files;
}

/** Serves the ticker page at /ticker?skus=a,b,c from the Yoga server, beside /graphql. */
export function tickerPage(): Plugin {
  const files = assets();
  return {
    onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== TICKER_PATH && !url.pathname.startsWith(`${TICKER_PATH}/`)) return;
      const asset = files.get(url.pathname);
      if (!asset || (request.method !== 'GET' && request.method !== 'HEAD')) {
        endResponse(new fetchAPI.Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } }));
        return;
      }
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : asset.body, {
          status: 200,
          headers: {
            'content-type': asset.type,
            'cache-control': 'no-cache',
            'content-security-policy': CONTENT_SECURITY_POLICY,
            'x-content-type-options': 'nosniff',
          },
        }),
      );
    },
  };
}
