import { deployMigrations, dropDatabase, findDrift } from '../src/db/migrate.ts';
const url = 'postgresql://postgres@127.0.0.1:5432/stockgate_proto4';
const t = performance.now();
console.log(await deployMigrations(url));
console.log(await findDrift(url));
await dropDatabase(url);
process.on('exit', () => console.log('natural exit after', Math.round(performance.now() - t), 'ms'));
