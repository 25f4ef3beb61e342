import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EPHEMERAL_PORT_START, firstTakenPort, freePortBlock } from './ports.js';

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

describe('firstTakenPort', () => {
  it('names the first port taken, for TCP or for UDP as asked, and nothing when all are free', async () => {
    const from = await freePortBlock(4, 29000, 30000);
    const ports = [{ port: from }, { port: from + 1 }, { port: from + 2, udp: true }, { port: from + 3 }];
    expect(await firstTakenPort(ports)).toBeUndefined();
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(from + 2, '127.0.0.1', r));
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen({ port: from + 3, host: '127.0.0.1' }, r));
    try {
      expect(await firstTakenPort(ports)).toBe(from + 2);
      expect(await firstTakenPort(ports.filter((p) => !p.udp))).toBe(from + 3);
    } finally {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise((r) => tcp.close(r));
    }
  });
});
