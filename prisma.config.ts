import { defineConfig } from 'prisma/config';

// The CLI downloads the native schema engine before any command unless this points at an existing
// file; that download fails offline. generate/validate/format never run the binary, and migrations
// go through src/db/migrate.ts (WASM engine) instead.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= '/bin/false';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    // Not env(): it throws when the variable is unset, which would break `prisma generate` in postinstall.
    // Keep the default in step with DEFAULT_DATABASE_URL in src/db/migrate.ts.
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/stockgate',
  },
});
