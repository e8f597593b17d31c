// The ticker page a merchant leaves open during a sale: one card per SKU of ?skus=a,b,c with its live
// level (stockLevels), a sparkline of the last 10 minutes and units sold per minute (from the ledger:
// movements for the history, stockMovements live, resumed from its cursor after a reconnect), and the
// alerts as they come (stockAlerts). Everything over graphql-ws, served by stockgate (src/live/ticker.ts).
import { createClient } from './vendor/graphql-ws/client.js';

/** As many as one subscription may watch (MAX_SKUS_PER_SUBSCRIPTION in src/live/live.ts). */
const MAX_SKUS = 100;
/** Waits between reconnects: the server may be restarting; a ticker should come back by itself. */
const RETRY_WAIT_MS = [500, 1000, 2000, 5000];
/** What the sparkline and the sales bars span. */
const WINDOW_MS = 10 * 60_000;
const MINUTE_MS = 60_000;
/** How often the charts slide along when nothing changes. */
const REDRAW_MS = 5_000;
/** Alerts listed, newest first. */
const MAX_ALERTS = 20;
/** Movements read per SKU for the history: one page of the movements connection. */
const HISTORY_PAGE = 100;
const SPARK = { width: 220, height: 44 };

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

const MOVEMENTS = /* GraphQL */ `
  subscription Feed($skuIds: [ID!], $after: String) {
    stockMovements(skuIds: $skuIds, after: $after) {
      cursor
      movement {
        id
        skuId
        deltaAvailable
        deltaSold
        createdAt
      }
    }
  }
`;
const HISTORY = /* GraphQL */ `
  query History($skuId: ID!, $first: Int!) {
    movements(skuId: $skuId, first: $first) {
      edges {
        node {
          id
          deltaAvailable
          deltaSold
          createdAt
        }
      }
    }
  }
`;
const ALERTS = /* GraphQL */ `
  subscription Alerts($skuIds: [ID!]) {
    stockAlerts(skuIds: $skuIds) {
      kind
      skuId
      level {
        available
        changedAt
      }
    }
  }
`;

const STATE_LABEL = { IN_STOCK: 'In stock', LOW_STOCK: 'Low stock', SOLD_OUT: 'Sold out' };
const ALERT_LABEL = { LOW_STOCK: 'low stock', SOLD_OUT: 'sold out', BACK_IN_STOCK: 'back in stock', OVERSOLD: 'OVERSOLD' };

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
const alertList = document.querySelector('.alerts ol');
const cards = new Map();
/** Per SKU: levels [{ t, available }] and sales [{ t, units }] of the window, and the movement ids counted. */
const charts = new Map();

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

function chart(skuId) {
  let c = charts.get(skuId);
  if (!c) {
    c = { levels: [], sales: [], seen: new Set(), history: false };
    charts.set(skuId, c);
  }
  return c;
}

/** Counts a movement's sales once, whether the history or the feed brought it. */
function count(c, movement) {
  if (c.seen.has(movement.id)) return;
  c.seen.add(movement.id);
  if (movement.deltaSold > 0) c.sales.push({ t: Date.parse(movement.createdAt), units: movement.deltaSold });
}

/** Drops what left the window, keeping the last level before it as the sparkline's start. */
function prune(c, from) {
  while (c.levels.length > 1 && c.levels[1].t <= from) c.levels.shift();
  c.sales = c.sales.filter((sale) => sale.t > from);
}

function drawSpark(el, c, from, now) {
  const points = c.levels.map((p) => ({ t: Math.max(p.t, from), available: p.available }));
  if (points.length > 0) points.push({ t: now, available: points.at(-1).available });
  const values = points.map((p) => p.available);
  const low = Math.min(0, ...values);
  const high = Math.max(1, ...values);
  const x = (t) => (((t - from) / WINDOW_MS) * SPARK.width).toFixed(1);
  const y = (v) => (SPARK.height - 2 - ((v - low) / (high - low)) * (SPARK.height - 4)).toFixed(1);
  // A step line: a level holds until the next one.
  const steps = points.flatMap((p, i) =>
    i === 0
      ? [[x(p.t), y(p.available)]]
      : [
          [x(p.t), y(points[i - 1].available)],
          [x(p.t), y(p.available)],
        ],
  );
  const spark = el.querySelector('.spark');
  spark.querySelector('polyline').setAttribute('points', steps.map((xy) => xy.join(',')).join(' '));
  spark.dataset.levels = String(c.levels.length);
}

function drawSales(el, c, from, now) {
  const perMinute = Array.from({ length: WINDOW_MS / MINUTE_MS }, () => 0);
  for (const sale of c.sales) perMinute[Math.min(perMinute.length - 1, Math.floor((sale.t - from) / MINUTE_MS))] += sale.units;
  const most = Math.max(1, ...perMinute);
  const width = SPARK.width / perMinute.length;
  const bars = el.querySelector('.bars');
  bars.replaceChildren(
    ...perMinute.map((units, i) => {
      const bar = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      const height = units === 0 ? 0 : Math.max(1, (units / most) * 22);
      bar.setAttribute('x', (i * width + 1).toFixed(1));
      bar.setAttribute('width', (width - 2).toFixed(1));
      bar.setAttribute('y', (24 - height).toFixed(1));
      bar.setAttribute('height', height.toFixed(1));
      bar.dataset.units = String(units);
      return bar;
    }),
  );
  const lastMinute = c.sales.filter((sale) => sale.t > now - MINUTE_MS).reduce((n, sale) => n + sale.units, 0);
  el.dataset.soldLastMinute = String(lastMinute);
  el.querySelector('.rate').textContent = `${lastMinute} sold in the last minute`;
}

function draw(skuId, now = Date.now()) {
  const el = card(skuId);
  const c = chart(skuId);
  const from = now - WINDOW_MS;
  prune(c, from);
  drawSpark(el, c, from, now);
  drawSales(el, c, from, now);
}

/**
 * The window before the page opened, from the ledger: the SKU's latest movements, walked back from the
 * level just read (each movement's deltaAvailable undone), and their sales.
 */
async function backfill(client, skuId, level) {
  const c = chart(skuId);
  const from = Date.now() - WINDOW_MS;
  const page = await new Promise((resolve) => {
    let data = null;
    client.subscribe(
      { query: HISTORY, variables: { skuId, first: HISTORY_PAGE } },
      { next: (result) => (data = result.data), error: () => resolve(null), complete: () => resolve(data) },
    );
  });
  const points = [];
  let available = level.available;
  for (const { node } of page?.movements?.edges ?? []) {
    const t = Date.parse(node.createdAt);
    if (t < from) break;
    points.push({ t, available });
    available -= node.deltaAvailable;
    count(c, node);
  }
  points.push({ t: from, available });
  const first = c.levels[0]?.t ?? Infinity;
  c.levels = [...points.reverse().filter((p) => p.t < first), ...c.levels];
  draw(skuId);
}

function alerted(alert) {
  const item = document.createElement('li');
  item.dataset.kind = alert.kind;
  item.dataset.alertSku = alert.skuId;
  const time = document.createElement('time');
  time.textContent = new Date(alert.level.changedAt).toLocaleTimeString();
  const sku = document.createElement('b');
  sku.textContent = alert.skuId;
  const available = alert.level.available === null ? '' : ` (available ${alert.level.available})`;
  item.append(time, ' ', sku, ` ${ALERT_LABEL[alert.kind] ?? alert.kind}${available}`);
  alertList.prepend(item);
  while (alertList.children.length > MAX_ALERTS) alertList.lastElementChild.remove();
  card(alert.skuId).dataset.alert = alert.kind;
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
  if (!level.unlimited) chart(level.skuId).levels.push({ t: Date.parse(level.changedAt), available: level.available });
  draw(level.skuId);
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
          const c = chart(data.stockLevels.skuId);
          if (!c.history && !data.stockLevels.unlimited) {
            c.history = true;
            void backfill(client, data.stockLevels.skuId, data.stockLevels);
          }
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

  // The ledger's movements, live: graphql-ws sends this same payload again when it reconnects, so the
  // cursor kept in it resumes the feed after the last movement counted. A feed that ends (FEED_BEHIND)
  // is followed again from there.
  const feed = { query: MOVEMENTS, variables: { skuIds: skus } };
  const follow = () =>
    client.subscribe(feed, {
      next: ({ data }) => {
        const event = data?.stockMovements;
        if (!event) return;
        feed.variables.after = event.cursor;
        count(chart(event.movement.skuId), event.movement);
        draw(event.movement.skuId);
      },
      error: () => setTimeout(follow, RETRY_WAIT_MS.at(-1)),
      complete: () => setTimeout(follow, RETRY_WAIT_MS[0]),
    });
  follow();

  client.subscribe(
    { query: ALERTS, variables: { skuIds: skus } },
    { next: ({ data }) => data?.stockAlerts && alerted(data.stockAlerts), error: () => {}, complete: () => {} },
  );

  setInterval(() => {
    for (const id of skus) draw(id);
  }, REDRAW_MS);
}
