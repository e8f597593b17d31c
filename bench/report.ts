/** One measured run of the benchmark. */
export interface Row {
  mode: string;
  scenario: string;
  /** Acknowledged deducts per second (for the ceiling: answers per second). */
  rps: number;
  /** Requests sent in the measured time, and how many of them did not deduct. */
  sent: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  ok: boolean;
  oversold?: number;
  agree?: boolean;
}

const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '–');

/** The markdown table the README shows: throughput, latency, and ratios to db-only and the ceiling. */
export function table(rows: Row[], machine: string, at: string): string {
  const find = (mode: string, scenario: string) => rows.find((r) => r.mode === mode && r.scenario === scenario);
  const lines = [
    `Measured ${at} on ${machine}.`,
    '',
    'deducts/s counts only deducts the ledger acknowledged; "failed" is requests that did not deduct (±64: requests under way at the edges of the window).',
    '',
    '| mode | scenario | deducts/s | p50 ms | p99 ms | max ms | ÷ db-only | ÷ ceiling | failed | oversold | Redis = PostgreSQL |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.mode} | ${r.scenario} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.max} | ${ratio(r.rps, find('db-only', r.scenario)?.rps)} | ${ratio(r.rps, find('ceiling', r.scenario)?.rps)} | ${r.failed + r.errors} of ${r.sent} | ${r.oversold ?? '–'} | ${r.agree === undefined ? '–' : r.agree ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n');
}

/** A grouped bar chart of requests per second, one group per scenario, one bar per mode. */
export function chart(rows: Row[]): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const modes = [...new Set(rows.map((r) => r.mode))];
  const colors = ['#9aa5b1', '#e4572e', '#f3a712', '#29bf12'];
  const width = 760;
  const height = 360;
  const top = 40;
  const bottom = 60;
  const left = 70;
  const max = Math.max(...rows.map((r) => r.rps), 1);
  const plotH = height - top - bottom;
  const groupW = (width - left - 20) / scenarios.length;
  const barW = (groupW - 30) / modes.length;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">Acknowledged deducts per second, 64 connections</text>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    const y = top + plotH - (plotH * t) / 4;
    parts.push(`<line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${Math.round(v)}</text>`);
  }
  scenarios.forEach((s, g) => {
    const x0 = left + g * groupW + 15;
    modes.forEach((m, i) => {
      const r = rows.find((row) => row.mode === m && row.scenario === s);
      if (!r) return;
      const h = (plotH * r.rps) / max;
      parts.push(
        `<rect x="${x0 + i * barW}" y="${top + plotH - h}" width="${barW - 4}" height="${h}" fill="${colors[i % colors.length]}"/>`,
      );
    });
    parts.push(`<text x="${x0 + (modes.length * barW) / 2}" y="${top + plotH + 18}" text-anchor="middle">${s}</text>`);
  });
  modes.forEach((m, i) => {
    const x = left + i * 160;
    parts.push(`<rect x="${x}" y="${height - 22}" width="12" height="12" fill="${colors[i % colors.length]}"/>`);
    parts.push(`<text x="${x + 18}" y="${height - 12}">${m}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
