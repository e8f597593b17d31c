import { deployMigrations, createDatabase, dropDatabase } from '../src/db/migrate.ts';
const url = 'postgresql://postgres@127.0.0.1:5432/stockgate_proto2';
await dropDatabase(url);
try { console.log(await deployMigrations(url)); } catch (e: any) { console.log('ERR', e.constructor.name, e.name, Object.getOwnPropertyNames(e), e.code, e.message); }
try { console.log(await deployMigrations(url)); } catch (e: any) { console.log('ERR', e.constructor.name, e.name, Object.getOwnPropertyNames(e), e.code, e.message); }
await dropDatabase(url);
process.exit(0);
