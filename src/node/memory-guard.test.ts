import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './log.js';
import { startMemoryGuard } from './memory-guard.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('memory guard', () => {
  it('reports the heap above the ceiling at each sample, and logs each crossing once', () => {
    vi.useFakeTimers();
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({}, 'info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    let heap = 100;
    const g = startMemoryGuard(1000, log, () => heap, 1000);
    expect([g.overloaded(), g.heapUsed()]).toEqual([false, 100]);
    heap = 1500;
    expect(g.overloaded()).toBe(false); // not sampled yet
    vi.advanceTimersByTime(1000);
    expect([g.overloaded(), g.heapUsed()]).toEqual([true, 1500]);
    vi.advanceTimersByTime(3000); // still above: no new line
    heap = 900;
    vi.advanceTimersByTime(1000);
    expect(g.overloaded()).toBe(false);
    g.stop();
    heap = 5000;
    vi.advanceTimersByTime(5000);
    expect(g.overloaded()).toBe(false);
    expect(lines.map((l) => [l.level, l.heapBytes])).toEqual([
      ['warn', 1500],
      ['info', 900]
    ]);
  });
});
