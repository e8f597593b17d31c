import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const t0 = performance.now();
const glueUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
console.log(glueUrl);
const glue = await import(glueUrl);
const bytes = await readFile(new URL('schema_engine_bg.wasm', glueUrl));
const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
glue.__wbg_set_wasm(instance.exports);
(instance.exports as any).__wbindgen_start();
console.log('load ms', performance.now() - t0, glue.version());

const url = 'postgresql://postgres@127.0.0.1:5432/stockgate_proto';
const admin = new pg.Client('postgresql://postgres@127.0.0.1:5432/postgres');
await admin.connect();
await admin.query('DROP DATABASE IF EXISTS stockgate_proto');
await admin.query('CREATE DATABASE stockgate_proto');
const pool = new pg.Pool({ connectionString: url });
pool.on('connect', (c: any) => c.connection.prependListener('rowDescription', (msg: any) => { for (const f of msg.fields) if (f.dataTypeID === 18) f.dataTypeID = 25; }));
const origQuery = pool.query.bind(pool);
(pool as any).query = (...a: any[]) => { console.log('SQL:', (typeof a[0] === 'string' ? a[0] : a[0].text).slice(0, 150).replace(/\s+/g, ' ')); return (origQuery as any)(...a); };
const factory = new PrismaPg(pool);
const f2: any = {
  provider: factory.provider, adapterName: factory.adapterName,
  async connect() { const a = await factory.connect(); a.executeScript = (s: string) => a.executeRaw({ sql: s, args: [], argTypes: [] }).then(() => undefined); return a; },
  async connectToShadowDb() { throw new Error('no shadow'); },
};
const bound = bindMigrationAwareSqlAdapterFactory(f2);
const t1 = performance.now();
const engine = await glue.SchemaEngine.new({ datamodels: undefined }, (log: string) => console.log('LOG', log), bound);
const res = await engine.applyMigrations({ migrationsList: { baseDir: '/work/main/.proto/migrations', lockfile: { path: 'migration_lock.toml', content: null }, shadowDbInitScript: '', migrationDirectories: [
  { path: '20250101000000_a', migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: 'CREATE TABLE t (a int); CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;' } } },
] }, filters: { externalTables: [], externalEnums: [] } });
console.log(res, 'apply ms', performance.now() - t1);
engine.free();
await pool.end();
await admin.query('DROP DATABASE stockgate_proto');
await admin.end();
process.exit(0);
