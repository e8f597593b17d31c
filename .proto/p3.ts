import { deployMigrations, dropDatabase, createDatabase } from '../src/db/migrate.ts';
const url = 'postgresql://postgres@127.0.0.1:5432/stockgate_proto3';
let t = performance.now();
await dropDatabase(url); console.log('drop', performance.now() - t); t = performance.now();
await createDatabase(url); console.log('create', performance.now() - t); t = performance.now();
console.log(await deployMigrations(url)); console.log('deploy', performance.now() - t); t = performance.now();
console.log(await deployMigrations(url)); console.log('deploy2', performance.now() - t); t = performance.now();
await dropDatabase(url); console.log('drop', performance.now() - t);
process.exit(0);
