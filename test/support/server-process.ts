import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './redis-server.ts';
import { gateShardsEnv, type Namespace } from './stack.ts';

/** How long a server process may take to start (it applies migrations first). */
export const START_LIMIT_MS = 30_000;

/** The settings that put a server on a test's namespace. */
export const namespaceEnv = (ns: Namespace) => ({
  DATABASE_URL: ns.databaseUrl,
  REDIS_URL: ns.redisUrl,
  REDIS_PREFIX: ns.prefix,
  ...gateShardsEnv(),
});

/** A server process: `node --import tsx src/main.ts`, as `npm start` runs it, its output collected as it comes. */
export interface MainProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they interleaved. */
  output: string;
  /** Its exit: [code, signal]. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Starts a server process with LOG_LEVEL=info and `env` over `inherited` (the test's own environment). */
export function spawnMain(env: Record<string, string>, inherited: NodeJS.ProcessEnv = process.env): MainProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as unknown as ChildProcessWithoutNullStreams;
  const main: MainProcess = { child, stdout: '', stderr: '', output: '', exited: once(child, 'exit') as MainProcess['exited'] };
  child.stdout.on('data', (d) => {
    main.stdout += d;
    main.output += d;
  });
  child.stderr.on('data', (d) => {
    main.stderr += d;
    main.output += d;
  });
  return main;
}

/** Waits until the process says it listens; fails (killing it) if it exits or takes too long. */
export async function listening(main: MainProcess, what = 'server'): Promise<void> {
  const deadline = Date.now() + START_LIMIT_MS;
  while (!main.output.includes('stockgate listening')) {
    if (main.child.exitCode !== null || Date.now() > deadline) {
      main.child.kill('SIGKILL');
      throw new Error(`${what} did not start: ${main.output}`);
    }
    await sleep(50);
  }
}

/** `npm start` in a process of its own, on the test's namespace: a second instance of the service. */
export interface Instance {
  url: string;
  process: ChildProcessWithoutNullStreams;
  stop(): Promise<void>;
}

export async function startInstance(ns: Namespace, env: Record<string, string> = {}): Promise<Instance> {
  const port = await freePort();
  const main = spawnMain({ PORT: String(port), ...namespaceEnv(ns), ...env });
  await listening(main, 'second instance');
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    process: main.child,
    async stop() {
      if (main.child.exitCode === null) main.child.kill('SIGTERM');
      await main.exited;
    },
  };
}
