// The ticker page: subscribes to stockLevels over graphql-ws (served by stockgate itself, see
// src/live/ticker.ts) and keeps one card per SKU of ?skus=a,b,c up to date.
import { createClient } from './vendor/graphql-ws/client.js';

/** As many as one subscription may watch (MAX_SKUS_PER_SUBSCRIPTION in src/live/live.ts). */
const MAX_SKUS = 100;
/** Waits between reconnects: the server may be restarting; a ticker should come back by itself. */
const RETRY_WAIT_MS = [500, 1000, 2000, 5000];

const LEVELS = /* GraphQL */ `
  subscription Levels($skuIds: [ID!]!) {
    stockLevels(skuIds: $skuIds) {
      skuId
      available
      reserved
      sold
      unlimited
      state
      version
      changedAt
    }
  }
`;
const NAMES = /* GraphQL */ `
  query Names($ids: [ID!]!) {
    skus(ids: $ids) {
      id
      name
    }
  }
`;

const STATE_LABEL = { IN_STOCK: 'In stock', LOW_STOCK: 'Low stock', SOLD_OUT: 'Sold out' };

const skus = [
  ...new Set(
    (new URLSearchParams(location.search).get('skus') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
].slice(0, MAX_SKUS);

const board = document.querySelector('.board');
const notice = document.querySelector('.notice');
const connection = document.querySelector('.connection');
const template = document.querySelector('#card');
const cards = new Map();

function say(text, isError = false) {
  notice.hidden = !text;
  notice.textContent = text;
  notice.classList.toggle('error', isError);
}

function setConnection(state, label) {
  connection.dataset.connection = state;
  connection.querySelector('.label').textContent = label;
}

function card(skuId) {
  let el = cards.get(skuId);
  if (!el) {
    el = template.content.firstElementChild.cloneNode(true);
    el.dataset.sku = skuId;
    el.querySelector('.sku').textContent = skuId;
    board.append(el);
    cards.set(skuId, el);
  }
  return el;
}

function show(level) {
  const el = card(level.skuId);
  const previous = el.dataset.version ? Number(el.dataset.version) : null;
  if (previous !== null && level.version <= previous) return;
  const before = el.dataset.available === undefined ? null : Number(el.dataset.available);
  el.dataset.version = String(level.version);
  el.dataset.available = String(level.available ?? Infinity);
  el.dataset.state = level.state;
  el.classList.toggle('sold-out', level.state === 'SOLD_OUT');
  el.querySelector('.available').textContent = level.unlimited ? '∞' : String(level.available);
  el.querySelector('.reserved').textContent = String(level.reserved);
  el.querySelector('.sold').textContent = String(level.sold);
  el.querySelector('.pill').textContent = STATE_LABEL[level.state] ?? level.state;
  el.querySelector('.changed').textContent = `changed ${new Date(level.changedAt).toLocaleTimeString()}`;
  const now = level.available ?? Infinity;
  if (before !== null && now !== before) {
    el.classList.remove('flash-up', 'flash-down');
    void el.offsetWidth; // restarts the animation when changes come back to back
    el.classList.add(now > before ? 'flash-up' : 'flash-down');
    el.dataset.flashes = String(Number(el.dataset.flashes ?? 0) + 1);
  }
}

if (skus.length === 0) {
  setConnection('offline', 'no SKUs');
  notice.hidden = false;
  notice.append('Name the SKUs to watch in the address, for example ');
  const example = document.createElement('code');
  example.textContent = '/ticker?skus=tee-red-m,tee-blue-l';
  notice.append(example, '.');
} else {
  for (const id of skus) card(id);
  const client = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((r) => setTimeout(r, RETRY_WAIT_MS[Math.min(retries, RETRY_WAIT_MS.length - 1)])),
    on: {
      connected: () => setConnection('live', 'live'),
      closed: () => setConnection('offline', 'reconnecting…'),
    },
  });

  client.subscribe(
    { query: NAMES, variables: { ids: skus } },
    {
      next: ({ data }) => {
        for (const sku of data?.skus ?? []) if (sku) card(sku.id).querySelector('.name').textContent = sku.name ?? '';
      },
      error: () => {},
      complete: () => {},
    },
  );

  client.subscribe(
    { query: LEVELS, variables: { skuIds: skus } },
    {
      next: ({ data, errors }) => {
        if (errors?.length) say(errors.map((e) => e.message).join('; '), true);
        if (data?.stockLevels) {
          say('');
          show(data.stockLevels);
        }
      },
      error: (err) => {
        const errors = Array.isArray(err) ? err : [err];
        say(errors.map((e) => e?.message ?? String(e)).join('; '), true);
        setConnection('offline', 'stopped');
      },
      complete: () => setConnection('offline', 'ended'),
    },
  );
}
