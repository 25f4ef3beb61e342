import { describe, expect, it } from 'vitest';
import type { Ed25519Backend } from '../lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../lib/core/crypto/ed25519.node.js';
import { cachingBackend } from './verify-cache.js';

/** nodeEd25519 with a count of the verifications it really ran. */
function counted(): { backend: Ed25519Backend; calls: () => number } {
  let n = 0;
  return {
    backend: { ...nodeEd25519, verify: (p, m, s) => (n++, nodeEd25519.verify(p, m, s)) },
    calls: () => n
  };
}

const seed = new Uint8Array(32).fill(9);
const pub = nodeEd25519.publicKey(seed);
const msg = (i: number) => new TextEncoder().encode(`message ${i}`);

describe('verify cache', () => {
  it('answers a repeated good signature without verifying again, and only the identical triple', () => {
    const { backend, calls } = counted();
    const c = cachingBackend(backend);
    const sig = nodeEd25519.sign(seed, msg(1));
    expect(c.verify(pub, msg(1), sig)).toBe(true);
    expect(c.verify(pub, msg(1), sig)).toBe(true);
    expect(calls()).toBe(1);
    // Another message, or the same message with a changed signature, is verified (and fails).
    expect(c.verify(pub, msg(2), sig)).toBe(false);
    const bad = sig.slice();
    bad[5]! ^= 1;
    expect(c.verify(pub, msg(1), bad)).toBe(false);
    expect(calls()).toBe(3);
  });

  it('never remembers a failure', () => {
    const { backend, calls } = counted();
    const c = cachingBackend(backend);
    const sig = nodeEd25519.sign(seed, msg(1));
    expect(c.verify(pub, msg(2), sig)).toBe(false);
    expect(c.verify(pub, msg(2), sig)).toBe(false);
    expect(calls()).toBe(2);
  });

  it('does not confuse bytes moved between the key, the signature and the message', () => {
    const { backend, calls } = counted();
    const c = cachingBackend(backend);
    const sig = nodeEd25519.sign(seed, msg(1));
    expect(c.verify(pub, msg(1), sig)).toBe(true);
    // The same concatenation split differently: odd lengths go to the backend, never to the cache.
    const all = new Uint8Array([...pub, ...sig, ...msg(1)]);
    expect(c.verify(all.subarray(0, 31), all.subarray(95), all.subarray(31, 95))).toBe(false);
    expect(calls()).toBe(2);
  });

  it('keeps at most `max` entries, dropping the oldest', () => {
    const { backend, calls } = counted();
    const c = cachingBackend(backend, 2);
    const sigs = [0, 1, 2].map((i) => nodeEd25519.sign(seed, msg(i)));
    for (const i of [0, 1, 2]) c.verify(pub, msg(i), sigs[i]!);
    expect(calls()).toBe(3);
    c.verify(pub, msg(2), sigs[2]!);
    c.verify(pub, msg(1), sigs[1]!);
    expect(calls()).toBe(3);
    c.verify(pub, msg(0), sigs[0]!);
    expect(calls()).toBe(4);
  });
});
