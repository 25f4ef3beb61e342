import { beforeAll, describe, expect, it } from 'vitest';
import { setEd25519Backend, sign, signingPublicKey } from '../crypto/ed25519.js';
import { nodeEd25519 } from '../crypto/ed25519.node.js';
import { sha256 } from '../crypto/hash.js';
import { PROTOCOL_VERSION, TAGS } from '../constants.js';
import { fail, OK } from '../errors.js';
import { ConsensusEngine, type ConsensusApp, type EngineAction } from './engine.js';
import { proposer } from './proposer.js';
import {
  makeValidatorSet,
  signVote,
  verifyCommit,
  verifyEvidence,
  type ConsensusMessage,
  type Signer,
  type Vote
} from './types.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

const seeds = [1, 2, 3, 4].map((i) => sha256(new Uint8Array([i])));
const signers: Signer[] = seeds.map((s) => ({ publicKey: signingPublicKey(s), sign: (b) => sign(s, b) }));
const set = makeValidatorSet(signers.map((s) => ({ key: s.publicKey, weight: 1 })));

class App implements ConsensusApp {
  readonly chainId = 'test';
  pending: Uint8Array[] = [];
  committed: Uint8Array[] = [];
  validatorSet() {
    return set;
  }
  proposeBlock(height: number) {
    return this.pending.length ? new Uint8Array([height, ...this.pending.flatMap((x) => [...x])]) : null;
  }
  blockId(block: Uint8Array) {
    return sha256(block);
  }
  validateBlock(_h: number, block: Uint8Array) {
    return block.includes(0xff) ? fail('chain/bad-tx') : OK;
  }
}

/** Four engines wired synchronously (no delays): enough to check single rules. */
function net() {
  const apps = signers.map(() => new App());
  const engines = signers.map((s, i) => new ConsensusEngine(apps[i]!, s, { height: 1 }));
  const log: { from: number; a: EngineAction }[] = [];
  const queue: [number, ConsensusMessage][] = [];
  const run = (i: number, actions: EngineAction[]) => {
    for (const a of actions) {
      log.push({ from: i, a });
      if (a.type === 'broadcast') for (let j = 0; j < 4; j++) if (j !== i) queue.push([j, a.msg]);
      if (a.type === 'commit') {
        apps[i]!.committed.push(a.block);
        apps[i]!.pending = [];
        run(i, engines[i]!.step({ type: 'start' }));
      }
    }
  };
  const drain = (deliver: (to: number, m: ConsensusMessage) => boolean = () => true) => {
    while (queue.length) {
      const [to, m] = queue.shift()!;
      if (deliver(to, m)) run(to, engines[to]!.step({ type: 'message', msg: m }));
    }
  };
  return { apps, engines, log, run, drain, queue };
}

describe('ConsensusEngine', () => {
  it('stays idle with no transactions, then commits one block with a verifying certificate', () => {
    const n = net();
    n.engines.forEach((e, i) => n.run(i, e.step({ type: 'start' })));
    expect(n.log.filter((x) => x.a.type !== 'schedule-timeout')).toEqual([]);
    expect(n.log).toEqual([]); // idle: not even a timeout
    const p = signers.findIndex((s) => s.publicKey.every((b, k) => b === proposer(set, 1, 0)[k]));
    n.apps.forEach((a) => a.pending.push(new Uint8Array([7])));
    n.run(p, n.engines[p]!.step({ type: 'txs-available' }));
    n.drain();
    const commits = n.log.filter((x) => x.a.type === 'commit');
    expect(commits).toHaveLength(4);
    for (const c of commits) {
      if (c.a.type !== 'commit') continue;
      expect(c.a.height).toBe(1);
      expect(verifyCommit(c.a.cert, set, 'test', 1, c.a.blockId)).toEqual({ ok: true });
    }
    expect(n.engines.every((e) => e.currentHeight === 2)).toBe(true);
  });

  it('prevotes nil on a block the app rejects, and commits nothing', () => {
    const n = net();
    n.engines.forEach((e, i) => n.run(i, e.step({ type: 'start' })));
    const p = signers.findIndex((s) => s.publicKey.every((b, k) => b === proposer(set, 1, 0)[k]));
    n.apps[p]!.pending.push(new Uint8Array([0xff]));
    n.run(p, n.engines[p]!.step({ type: 'txs-available' }));
    n.drain();
    const prevotes = n.log.filter(
      (x) => x.a.type === 'broadcast' && x.a.msg.t === TAGS.vote && x.a.msg.type === 'prevote'
    );
    expect(prevotes).toHaveLength(4);
    for (const x of prevotes)
      if (x.a.type === 'broadcast' && x.a.msg.t === TAGS.vote) expect(x.a.msg.blockId).toBeNull();
    expect(n.log.some((x) => x.a.type === 'commit')).toBe(false);
  });

  it('turns two conflicting votes from one validator into verifying evidence, once', () => {
    const n = net();
    n.engines.forEach((e, i) => n.run(i, e.step({ type: 'start' })));
    const vote = (blockId: Uint8Array | null): Vote =>
      signVote(
        {
          t: TAGS.vote,
          v: PROTOCOL_VERSION,
          chainId: 'test',
          type: 'prevote',
          height: 1,
          round: 0,
          blockId: blockId as Vote['blockId'],
          validator: signers[3]!.publicKey as Vote['validator']
        },
        signers[3]!
      );
    const e = n.engines[0]!;
    expect(e.step({ type: 'message', msg: vote(null) }).some((a) => a.type === 'evidence')).toBe(false);
    const second = e.step({ type: 'message', msg: vote(new Uint8Array(32).fill(1)) });
    const ev = second.find((a) => a.type === 'evidence');
    expect(ev && ev.type === 'evidence' && verifyEvidence(ev.evidence, set)).toEqual({ ok: true });
    const third = e.step({ type: 'message', msg: vote(new Uint8Array(32).fill(2)) });
    expect(third.some((a) => a.type === 'evidence')).toBe(false);
  });

  it('rejects forged and foreign messages with named errors', () => {
    const n = net();
    const e = n.engines[0]!;
    e.step({ type: 'start' });
    const good = signVote(
      {
        t: TAGS.vote,
        v: PROTOCOL_VERSION,
        chainId: 'test',
        type: 'prevote',
        height: 1,
        round: 0,
        blockId: null,
        validator: signers[1]!.publicKey as Vote['validator']
      },
      signers[1]!
    );
    const forged = { ...good, sig: signVote({ ...good }, signers[2]!).sig };
    const codes = (m: ConsensusMessage) =>
      e.step({ type: 'message', msg: m }).flatMap((a) => (a.type === 'invalid' ? [a.error.code] : []));
    expect(codes(forged)).toEqual(['crypto/bad-signature']);
    expect(codes({ ...good, chainId: 'other' })).toEqual(['consensus/wrong-chain']);
    const outsider = {
      publicKey: signingPublicKey(sha256(new Uint8Array([9]))),
      sign: (b: Uint8Array) => sign(sha256(new Uint8Array([9])), b)
    };
    expect(
      codes(signVote({ ...good, validator: outsider.publicKey as Vote['validator'] }, outsider))
    ).toEqual(['consensus/not-validator']);
    expect(codes(good)).toEqual([]);
  });

  it('after a restore re-sends what it signed and never signs a different vote for that slot', () => {
    const n = net();
    n.engines.forEach((e, i) => n.run(i, e.step({ type: 'start' })));
    const p = signers.findIndex((s) => s.publicKey.every((b, k) => b === proposer(set, 1, 0)[k]));
    n.apps.forEach((a) => a.pending.push(new Uint8Array([5])));
    n.run(p, n.engines[p]!.step({ type: 'txs-available' }));
    // deliver only the proposal: every node prevotes for it, nobody sees the prevotes
    n.drain((_to, m) => m.t === TAGS.proposal);
    const other = (p + 1) % 4;
    const snap = n.engines[other]!.snapshot();
    expect(snap.ownVotes.map((v) => v.type)).toEqual(['prevote']);
    const restored = new ConsensusEngine(n.apps[other]!, signers[other]!, { height: 1, snapshot: snap });
    const out = restored.step({ type: 'start' });
    const resent = out.flatMap((a) => (a.type === 'broadcast' ? [a.msg] : []));
    expect(resent).toContainEqual(snap.ownVotes[0]);
    // its propose timeout fires late: it must not prevote nil now
    const late = restored.step({ type: 'timeout', height: 1, round: 0, step: 'propose' });
    expect(late.filter((a) => a.type === 'broadcast')).toEqual([]);
  });

  it('a lone validator commits a block as soon as transactions arrive, without waiting for a timeout', () => {
    const s0 = signers[0]!;
    const app = new (class extends App {
      override validatorSet() {
        return makeValidatorSet([{ key: s0.publicKey, weight: 1 }]);
      }
    })();
    const e = new ConsensusEngine(app, s0, { height: 1 });
    e.step({ type: 'start' });
    app.pending.push(new Uint8Array([7]));
    const actions = e.step({ type: 'txs-available' });
    expect(actions.filter((a) => a.type === 'commit')).toHaveLength(1);
  });
});
