import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EPHEMERAL_PORT_START, freePortBlock } from './ports.js';

describe('freePortBlock', () => {
  it('skips a block with a port taken for TCP or for UDP', async () => {
    // Two blocks of 4 in the range: with a port of the first taken, the second is the only answer.
    const from = await freePortBlock(8, 29000, 30000);
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen({ port: from + 1, host: '127.0.0.1' }, r));
    try {
      for (let i = 0; i < 10; i++) expect(await freePortBlock(4, from, from + 8)).toBe(from + 4);
    } finally {
      await new Promise((r) => tcp.close(r));
    }
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(from + 6, '127.0.0.1', r));
    try {
      for (let i = 0; i < 10; i++) expect(await freePortBlock(4, from, from + 8)).toBe(from);
      await expect(freePortBlock(8, from, from + 8)).rejects.toThrow(/no 8 free consecutive ports/);
    } finally {
      await new Promise<void>((r) => udp.close(() => r()));
    }
  });

  it('refuses a range reaching into the ephemeral ports', async () => {
    await expect(freePortBlock(4, 32000, EPHEMERAL_PORT_START + 4)).rejects.toThrow(/below 32768/);
  });
});
