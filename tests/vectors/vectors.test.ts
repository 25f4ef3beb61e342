import { describe, expect, it } from 'vitest';
import { VECTOR_FILES } from './all.js';
import { runVectorFiles } from './runner.js';
import { setEd25519Backend, nobleEd25519 } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';

describe('test vectors in Node', () => {
  const total = Object.values(VECTOR_FILES).reduce((n, f) => n + f.cases.length, 0);

  it('has at least 30 cases', () => expect(total).toBeGreaterThanOrEqual(30));

  for (const backend of [nobleEd25519, nodeEd25519]) {
    it(`every case holds with the ${backend.name} signature backend`, () => {
      setEd25519Backend(backend);
      try {
        const failed = runVectorFiles(VECTOR_FILES).filter((r) => !r.pass);
        expect(failed).toEqual([]);
      } finally {
        setEd25519Backend(nobleEd25519);
      }
    });
  }
});
