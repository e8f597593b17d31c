import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

/** Connections per process: the group commit needs few (one statement per batch), reads need the rest. */
const POOL_SIZE = 20;

export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: POOL_SIZE }) });
}

export type { PrismaClient };

/** What raw-SQL readers need: satisfied by the client and by an interactive transaction alike. */
export type Sql = Pick<PrismaClient, '$queryRawUnsafe'>;
