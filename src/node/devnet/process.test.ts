import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { spawnNode, waitHealthy } from './process.js';

const dir = mkdtempSync(join(tmpdir(), 'cc-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('waitHealthy fails as soon as the node exits, quoting its log', async () => {
  const log = join(dir, 'node.log');
  const proc = spawnNode(join(dir, 'missing-config.json'), log);
  const t0 = Date.now();
  const err = await waitHealthy('node-x', 'http://127.0.0.1:9', proc, log, 60_000).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(
    /^node-x exited \(\d+\) while starting; its log ends:\n.*missing-config\.json/s
  );
  // Well before the 60 s timeout: the exit is noticed, not waited out.
  expect(Date.now() - t0).toBeLessThan(30_000);
}, 60_000);
