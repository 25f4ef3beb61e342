/**
 * Ports for test networks. Several suites start node processes at once, so each picks a random block
 * inside its own range and checks that every port in it is free, for TCP and for UDP (WebRTC-Direct),
 * before writing it into configs. Ranges stay below Linux's ephemeral range: from 32768 on, any
 * outgoing socket of any process (a dial, a fetch) may take a port at any moment, after the check.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** Start of Linux's default ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`). */
export const EPHEMERAL_PORT_START = 32768;
/** Random blocks tried before giving up: a range that busy is a machine problem worth naming. */
const FREE_BLOCK_ATTEMPTS = 64;

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * The first port of `count` consecutive ports, all free on 127.0.0.1 for TCP and UDP, at a random
 * multiple of `count` within [from, to). `to` may not reach the ephemeral range.
 */
export async function freePortBlock(count: number, from: number, to: number): Promise<number> {
  if (to > EPHEMERAL_PORT_START || from < 1024 || to - from < count)
    throw new Error(`port range ${from}–${to} cannot hold ${count} ports below ${EPHEMERAL_PORT_START}`);
  const slots = Math.floor((to - from) / count);
  for (let attempt = 0; attempt < FREE_BLOCK_ATTEMPTS; attempt++) {
    const base = from + Math.floor(Math.random() * slots) * count;
    let free = true;
    for (let p = base; free && p < base + count; p++) free = (await tcpFree(p)) && (await udpFree(p));
    if (free) return base;
  }
  throw new Error(`no ${count} free consecutive ports in ${from}–${to} after ${FREE_BLOCK_ATTEMPTS} tries`);
}

/**
 * The first of `ports` already taken on 127.0.0.1 (`udp` ones for UDP, the rest for TCP), or
 * undefined. A devnet checks its ports before starting its nodes: were another devnet still running on
 * them, its nodes would answer the health checks, and the first dial would fail on a peer id that
 * does not match instead of saying what is wrong.
 */
export async function firstTakenPort(ports: { port: number; udp?: boolean }[]): Promise<number | undefined> {
  for (const { port, udp } of ports) if (!(await (udp ? udpFree(port) : tcpFree(port)))) return port;
  return undefined;
}
