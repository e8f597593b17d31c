import type { Logger } from 'pino';

export interface Periodic {
  stop(): Promise<void>;
}

/**
 * Runs `pass` every `intervalMs`, never two at once, and again at once while it reports more work.
 * A failing pass is logged and retried at the next interval: every pass here is safe to repeat.
 */
export function every(name: string, intervalMs: number, log: Logger, pass: () => Promise<boolean>): Periodic {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        while (!stopped && (await pass()));
      } catch (err) {
        log.warn({ err, pass: name }, 'background pass failed; retrying next interval');
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    })();
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
