import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LIMITS, TAGS } from '../constants.js';
import { isCoreError } from '../errors.js';
import { sha256, taggedHash, toHex } from '../crypto/hash.js';
import { FUZZ_RUNS } from '../test-support.js';
import { SMT_PROOF_MAX_BYTES } from './smt-proof.js';
import {
  SMT_EMPTY,
  SparseMerkleTree,
  smtProofCodec,
  stateKey,
  verifySmtProof,
  type SmtProof
} from './smt.js';

const RUNS = 1_000;

const bitOf = (k: Uint8Array, i: number) => (k[i >> 3]! >> (7 - (i & 7))) & 1;
const flipBit = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[i >> 3]! ^= 0x80 >> (i & 7);
  return c;
};
const cmp = (a: Uint8Array, b: Uint8Array) => (toHex(a) < toHex(b) ? -1 : toHex(a) > toHex(b) ? 1 : 0);

/** The root from its definition, computed from scratch with the generic taggedHash. */
function referenceRoot(entries: [Uint8Array, Uint8Array][], depth = 0): Uint8Array {
  if (entries.length === 0) return taggedHash(TAGS.smtEmpty);
  if (entries.length === 1) return taggedHash(TAGS.smtLeaf, entries[0]![0], sha256(entries[0]![1]));
  const left = entries.filter(([k]) => bitOf(k, depth) === 0);
  const right = entries.filter(([k]) => bitOf(k, depth) === 1);
  return taggedHash(TAGS.smtNode, referenceRoot(left, depth + 1), referenceRoot(right, depth + 1));
}

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const value = fc.uint8Array({ maxLength: 16 });

/** Keys around one base key that agree with it on a long prefix: the deep, adversarial shapes. */
const clusteredKeys = fc
  .tuple(key, fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), key), { maxLength: 24 }))
  .map(([base, spec]) => [
    base,
    ...spec.map(([p, rand]) => {
      const k = rand.slice();
      for (let i = 0; i < p; i++) if (bitOf(k, i) !== bitOf(base, i)) k[i >> 3]! ^= 0x80 >> (i & 7);
      return k;
    })
  ]);

const keySet = fc
  .oneof(fc.array(key, { maxLength: 40 }), clusteredKeys)
  .map((ks) => [...new Map(ks.map((k) => [toHex(k), k])).values()]);

const entriesArb = keySet.chain((ks) =>
  fc
    .array(value, { minLength: ks.length, maxLength: ks.length })
    .map((vs) => ks.map((k, i) => [k, vs[i]!] as [Uint8Array, Uint8Array]))
);

const build = (entries: [Uint8Array, Uint8Array][]) =>
  entries.reduce((t, [k, v]) => t.set(k, v), SparseMerkleTree.empty());

/** Keys not in the tree: random ones and near neighbours of members (last or a middle bit flipped). */
const probesFor = (entries: [Uint8Array, Uint8Array][], extra: Uint8Array[]) => {
  const present = new Set(entries.map(([k]) => toHex(k)));
  const near = entries.flatMap(([k]) => [flipBit(k, 255), flipBit(k, 100)]);
  return [...extra, ...near].filter((k) => !present.has(toHex(k)));
};

describe('SparseMerkleTree', () => {
  it('has the defined root for any key set, whatever the insertion order', () => {
    fc.assert(
      fc.property(entriesArb, fc.integer(), (entries, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(entries, { minLength: entries.length }), {
          numRuns: 1,
          seed
        })[0]!;
        const sorted = [...entries].sort((a, b) => cmp(a[0], b[0]));
        const a = build(entries);
        const b = build(shuffled);
        expect(toHex(a.root())).toBe(toHex(b.root()));
        expect(toHex(a.root())).toBe(toHex(referenceRoot(sorted)));
        expect(a.size).toBe(entries.length);
        expect([...a.entries()].map(([k, v]) => toHex(k) + ':' + toHex(v))).toEqual(
          sorted.map(([k, v]) => toHex(k) + ':' + toHex(v))
        );
      }),
      { numRuns: RUNS }
    );
  });

  it('proves every member and non-member, also after a trip through the codec', () => {
    fc.assert(
      fc.property(entriesArb, fc.array(key, { maxLength: 4 }), (entries, extra) => {
        const t = build(entries);
        const root = t.root();
        // Checked without expect() per key: a few hundred thousand expect calls would dominate the run.
        const wrong: string[] = [];
        // The codec costs more than the proof: every proof is checked, the first few also after a trip.
        const trip = (p: SmtProof, i: number) => (i < 3 ? smtProofCodec.decode(smtProofCodec.encode(p)) : p);
        for (const [i, [k, v]] of entries.entries()) {
          const p = t.prove(k);
          if (!verifySmtProof(root, k, v, p).ok || !verifySmtProof(root, k, v, trip(p, i)).ok)
            wrong.push('member');
          if (verifySmtProof(root, k, null, p).ok) wrong.push('member proved absent');
          if (toHex(t.get(k)!) !== toHex(v)) wrong.push('get');
        }
        for (const [i, k] of probesFor(entries, extra).entries()) {
          const p = t.prove(k);
          if (t.has(k)) wrong.push('has');
          if (!verifySmtProof(root, k, null, p).ok || !verifySmtProof(root, k, null, trip(p, i)).ok)
            wrong.push('non-member');
          const claim = verifySmtProof(root, k, new Uint8Array(0), p);
          if (claim.ok || !['proof/wrong-key', 'proof/invalid'].includes(claim.error.code))
            wrong.push('non-member proved present');
        }
        expect(wrong).toEqual([]);
      }),
      { numRuns: RUNS }
    );
  });

  it('keeps proofs short: about log2(n) hashes for random keys', () => {
    let t = SparseMerkleTree.empty();
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 4096; i++) {
      const k = sha256(new Uint8Array([i >> 8, i & 255]));
      keys.push(k);
      t = t.set(k, new Uint8Array([1]));
    }
    const lengths = keys.map((k) => t.prove(k).siblings.length);
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(mean).toBeGreaterThan(10);
    expect(mean).toBeLessThan(16); // log2(4096) = 12
    expect(Math.max(...lengths)).toBeLessThan(40);
  });

  it('fails verification when any bit of the encoded proof, the root, the key or the value flips', () => {
    fc.assert(
      fc.property(
        entriesArb.filter((e) => e.length > 0),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        key,
        (entries, pick, bit, member, other) => {
          const t = build(entries);
          const root = t.root();
          const [k, v] = member ? entries[pick % entries.length]! : [other, null];
          if (!member && t.has(k)) return;
          const proof = t.prove(k);
          expect(verifySmtProof(root, k, v, proof).ok).toBe(true);
          const bytes = smtProofCodec.encode(proof);
          const flipped = flipBit(bytes, bit % (bytes.length * 8));
          let decoded: SmtProof | undefined;
          try {
            decoded = smtProofCodec.decode(flipped);
          } catch (e) {
            expect(isCoreError(e) && e.code.startsWith('decode/')).toBe(true);
          }
          if (decoded) expect(verifySmtProof(root, k, v, decoded).ok).toBe(false);
          expect(verifySmtProof(flipBit(root, bit % 256), k, v, proof).ok).toBe(false);
          if (proof.siblings.length > 0) {
            const siblings = proof.siblings.slice();
            const i = pick % siblings.length;
            siblings[i] = flipBit(siblings[i]!, bit % 256);
            expect(verifySmtProof(root, k, v, { ...proof, siblings }).ok).toBe(false);
          }
          if (proof.leaf) {
            const leaf = { ...proof.leaf, valueHash: flipBit(proof.leaf.valueHash, bit % 256) };
            expect(verifySmtProof(root, k, v, { ...proof, leaf }).ok).toBe(false);
          }
          const i = bit % 256;
          const k2 = flipBit(k, i);
          if (v !== null) {
            expect(verifySmtProof(root, k2, v, proof).ok).toBe(false);
            expect(verifySmtProof(root, k, flipBit(new Uint8Array([...v, 0]), pick % 8), proof).ok).toBe(
              false
            );
          } else if (i < proof.depth) {
            expect(verifySmtProof(root, k2, null, proof).ok).toBe(false);
          } else {
            // Past the end of the path the same proof speaks for every key with that prefix.
            expect(verifySmtProof(root, k2, null, proof).ok).toBe(!t.has(k2));
          }
        }
      ),
      { numRuns: RUNS }
    );
  });

  it('delete restores the earlier root, and a full delete gives the empty root', () => {
    fc.assert(
      fc.property(entriesArb, key, value, (entries, k, v) => {
        const t = build(entries);
        if (t.has(k)) return;
        const more = t.set(k, v);
        expect(more.size).toBe(t.size + 1);
        const back = more.delete(k);
        expect(toHex(back.root())).toBe(toHex(t.root()));
        expect(back.size).toBe(t.size);
        expect(t.delete(k)).toBe(t);
        const emptied = entries.reduce((acc, [key]) => acc.delete(key), more.delete(k));
        expect(emptied.size).toBe(0);
        expect(toHex(emptied.root())).toBe(toHex(SMT_EMPTY));
      }),
      { numRuns: RUNS }
    );
  });

  it('leaves old versions untouched by later sets and deletes', () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.array(fc.tuple(key, value, fc.boolean()), { maxLength: 20 }),
        (entries, ops) => {
          const t = build(entries);
          const root = toHex(t.root());
          const before = [...t.entries()].map(([k, v]) => toHex(k) + toHex(v));
          let u = t;
          for (const [k, v, del] of ops)
            u = del && entries.length > 0 ? u.delete(entries[0]![0]) : u.set(k, v);
          for (const [k, v] of entries) u = u.set(k, new Uint8Array([...v, 1]));
          expect(toHex(t.root())).toBe(root);
          expect([...t.entries()].map(([k, v]) => toHex(k) + toHex(v))).toEqual(before);
          expect(t.size).toBe(entries.length);
          for (const [k, v] of entries) expect(verifySmtProof(t.root(), k, v, t.prove(k)).ok).toBe(true);
        }
      ),
      { numRuns: RUNS }
    );
  });

  it('is not changed by mutating the bytes handed to it or returned from it', () => {
    const k = new Uint8Array(32).fill(7);
    const v = new Uint8Array([1, 2, 3]);
    const t = SparseMerkleTree.empty().set(k, v);
    const root = toHex(t.root());
    k[0] = 9;
    v[0] = 9;
    t.get(new Uint8Array(32).fill(7))![1] = 9;
    t.root()[0]! ^= 1;
    expect(toHex(t.root())).toBe(root);
    expect(t.get(new Uint8Array(32).fill(7))).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('setting the same value returns the same tree; updating a value changes the root', () => {
    const k = sha256(new Uint8Array([1]));
    const t = SparseMerkleTree.empty()
      .set(k, new Uint8Array([1]))
      .set(sha256(new Uint8Array([2])), new Uint8Array());
    expect(t.set(k, new Uint8Array([1]))).toBe(t);
    const u = t.set(k, new Uint8Array([2]));
    expect(toHex(u.root())).not.toBe(toHex(t.root()));
    expect(u.size).toBe(2);
  });

  it('handles a maximal-depth proof (256 non-empty siblings) within the codec limit', () => {
    const base = new Uint8Array(32).fill(0xa5);
    let t = SparseMerkleTree.empty().set(base, new Uint8Array([0]));
    for (let i = 0; i < 256; i++) t = t.set(flipBit(base, i), new Uint8Array([1]));
    const p = t.prove(base);
    expect(p.depth).toBe(256);
    expect(p.siblings.length).toBe(256);
    const bytes = smtProofCodec.encode(p);
    expect(bytes.length).toBeLessThanOrEqual(SMT_PROOF_MAX_BYTES);
    expect(verifySmtProof(t.root(), base, new Uint8Array([0]), smtProofCodec.decode(bytes)).ok).toBe(true);
    expect(LIMITS.smtDepth).toBe(256);
  });

  it('proves absence in the empty tree and in a one-leaf tree', () => {
    const e = SparseMerkleTree.empty();
    const k = sha256(new Uint8Array([5]));
    expect(verifySmtProof(e.root(), k, null, e.prove(k)).ok).toBe(true);
    const one = e.set(sha256(new Uint8Array([6])), new Uint8Array([6]));
    const p = one.prove(k);
    expect(p.depth).toBe(0);
    expect(p.leaf).not.toBeNull();
    expect(verifySmtProof(one.root(), k, null, p).ok).toBe(true);
  });

  it('rejects bad keys and namespaces with named errors', () => {
    const t = SparseMerkleTree.empty();
    for (const bad of [new Uint8Array(31), new Uint8Array(33), 'x' as unknown as Uint8Array]) {
      expect(() => t.set(bad, new Uint8Array())).toThrow(/state\/bad-key/);
      expect(() => t.prove(bad)).toThrow(/state\/bad-key/);
      const r = verifySmtProof(t.root(), bad, null, t.prove(new Uint8Array(32)));
      expect(r.ok === false && r.error.code).toBe('proof/wrong-key');
    }
    expect(() => stateKey('Account', 'x')).toThrow(/state\/bad-namespace/);
    expect(() => stateKey('', 'x')).toThrow(/state\/bad-namespace/);
    const garbage = verifySmtProof(t.root(), new Uint8Array(32), null, { depth: 3 } as unknown as SmtProof);
    expect(garbage.ok === false && garbage.error.code).toBe('proof/invalid');
  });
});

describe('stateKey', () => {
  it('separates namespaces and ids, and equals its definition', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,16}$/), fc.string(), fc.string(), (ns, a, b) => {
        const ka = stateKey(ns, a);
        expect(ka.length).toBe(32);
        expect(toHex(ka)).toBe(toHex(taggedHash('cc/state/' + ns, new TextEncoder().encode(a))));
        expect(toHex(stateKey(ns + 'x', a))).not.toBe(toHex(ka));
        if (a !== b) expect(toHex(stateKey(ns, b))).not.toBe(toHex(ka));
        expect(toHex(stateKey(ns, new TextEncoder().encode(a)))).toBe(toHex(ka));
      }),
      { numRuns: RUNS }
    );
  });
});

describe('smtProofCodec', () => {
  it('decodes arbitrary bytes only to a value or a named decode error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          smtProofCodec.decode(bytes);
        } catch (e) {
          expect(isCoreError(e) && e.code.startsWith('decode/')).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('rejects non-canonical proofs: padding bits, stray bitmap bits, listed empty siblings', () => {
    // Keys agreeing with k on bits 0-2 but not 3, and on nothing: k's path has empty siblings at 1, 2.
    const k = sha256(new Uint8Array([1]));
    const t = [k, flipBit(k, 0), flipBit(k, 3)].reduce(
      (acc, key) => acc.set(key, new Uint8Array([1])),
      SparseMerkleTree.empty()
    );
    const p = t.prove(k);
    expect(p.depth).toBe(4);
    expect(p.siblings.length).toBe(2);
    expect(verifySmtProof(t.root(), k, new Uint8Array([1]), p).ok).toBe(true);
    const padding = p.bitmap.slice();
    padding[0]! |= 1; // bit 7, past the depth of 4
    expect(() => smtProofCodec.encode({ ...p, bitmap: padding })).toThrow(/decode\/schema/);
    const unlisted = p.bitmap.slice();
    unlisted[0]! |= 0x40; // level 1 marked non-empty but no hash listed for it
    expect(() => smtProofCodec.encode({ ...p, bitmap: unlisted })).toThrow(/decode\/schema/);
    expect(() => smtProofCodec.encode({ ...p, bitmap: new Uint8Array([...p.bitmap, 0]) })).toThrow(
      /decode\/schema/
    );
    expect(() => smtProofCodec.encode({ ...p, extra: 1 } as SmtProof)).toThrow(/decode\/schema/);
    // Spell out the empty sibling at level 1: same root, but not the one canonical proof.
    const siblings = [p.siblings[0]!, SMT_EMPTY.slice(), p.siblings[1]!];
    const spelled = smtProofCodec.decode(smtProofCodec.encode({ ...p, bitmap: unlisted, siblings }));
    const r = verifySmtProof(t.root(), k, new Uint8Array([1]), spelled);
    expect(r.ok === false && r.error.code).toBe('proof/invalid');
  });

  it('rejects a non-membership proof whose leaf lies off the key path', () => {
    const a = sha256(new Uint8Array([1]));
    const t = SparseMerkleTree.empty()
      .set(a, new Uint8Array([1]))
      .set(flipBit(a, 0), new Uint8Array([2]));
    const probe = flipBit(a, 200); // absent, shares a's first 200 bits
    const p = t.prove(probe);
    expect(p.depth).toBe(1);
    expect(verifySmtProof(t.root(), probe, null, p).ok).toBe(true);
    // The same proof offered for a key on the other side of the root: its leaf is not on that path.
    const r = verifySmtProof(t.root(), flipBit(probe, 0), null, p);
    expect(r.ok === false && r.error.code).toBe('proof/wrong-key');
  });
});
