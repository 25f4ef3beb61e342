/**
 * The node's heap ceiling (config `limits.maxMemoryMb`). Above it the node sheds load: its mempools
 * refuse new transactions with node/mempool-full (the app retries later) while consensus, block sync
 * and reads go on, so the heap can drain as blocks commit instead of growing until the process is
 * killed for running out of memory. The heap is sampled on a timer, not at each transaction: reading
 * it costs tens of microseconds, and a second's lag is nothing next to how fast a heap fills.
 */
import type { Logger } from './log.js';

/** How often the heap is sampled. */
export const MEMORY_CHECK_MS = 1000;

export interface MemoryGuard {
  /** Whether the last sample was above the ceiling. */
  overloaded(): boolean;
  /** Heap bytes at the last sample, for /health and /metrics. */
  heapUsed(): number;
  stop(): void;
}

export function startMemoryGuard(
  maxBytes: number,
  log: Logger,
  heapUsed: () => number = () => process.memoryUsage().heapUsed,
  everyMs: number = MEMORY_CHECK_MS
): MemoryGuard {
  let used = 0;
  let over = false;
  const sample = () => {
    used = heapUsed();
    const now = used > maxBytes;
    if (now && !over)
      log.warn('memory above the ceiling: refusing new transactions until it drains', {
        heapBytes: used,
        maxBytes
      });
    else if (!now && over)
      log.info('memory back under the ceiling: taking transactions again', { heapBytes: used, maxBytes });
    over = now;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    overloaded: () => over,
    heapUsed: () => used,
    stop: () => clearInterval(timer)
  };
}
