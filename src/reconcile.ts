import { pino } from 'pino';
import { gateKeys, openRedis } from './app/redis.ts';
import { loadConfigOrExit } from './config.ts';
import { createPrisma } from './db/client.ts';
import { Gate } from './gate/gate.ts';
import { defineGateCommands } from './gate/scripts.ts';
import { sweepOutbox } from './sync/outbox.ts';
import { reconcile } from './sync/reconcile.ts';

/** `npm run reconcile`: one reconciliation pass and one outbox sweep, then a report of what was repaired. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = pino({ level: 'warn' });
  const prisma = createPrisma(config.DATABASE_URL);
  const redis = openRedis(config, { maxRetriesPerRequest: 1 });
  defineGateCommands(redis);
  const gate = new Gate(redis, gateKeys(config), config.IDEMPOTENCY_RECORD_SECONDS);
  try {
    const report = await reconcile(gate, prisma, Date.now(), config.INFLIGHT_DEADLINE_MS);
    const delivered = await sweepOutbox({ prisma, gate, log, levelsChanged: () => {} });
    if (!report.ran) console.log('another instance is reconciling right now; nothing done');
    console.log(`stale in-flight takes settled: ${report.settled} (${report.units} units counted from the ledger again)`);
    console.log(`counters rebuilt from the truth: ${report.rebuilt.length ? report.rebuilt.join(', ') : 'none'}`);
    console.log(`outbox changes delivered to the gate: ${delivered}`);
  } finally {
    gate.breaker.shutdown();
    redis.disconnect();
    await prisma.$disconnect();
  }
}

await main();
