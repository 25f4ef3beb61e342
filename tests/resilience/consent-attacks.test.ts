/**
 * Scenario 6 — consent attacks against a real hospital network (1 hospital × 4 node processes):
 * forged, replayed, expired, wrong-doctor and out-of-scope grants, and a stale grant submitted after
 * its revocation, each tried on the write path (record transactions validators must refuse) and on the
 * read path (blob requests a mirror must refuse). Every attempt must be refused with a named error and
 * leave a line in the node's log naming the refusal, and no attack may change what is committed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendRecordCodec } from '../../src/lib/core/chain/tx/append-record.js';
import { grantTxCodec, makeRevokeTx, revokeTxCodec } from '../../src/lib/core/chain/tx/consent.js';
import { createRevocation } from '../../src/lib/core/consent/revocation.js';
import {
  account,
  capabilityFor,
  grantTx,
  readBlob,
  recordTx,
  storeOnMirrors,
  submit,
  submitOk,
  type Account
} from '../../src/node/devnet/actors.js';
import type { DevnetNode } from '../../src/node/devnet/layout.js';
import {
  CONSORTIUM_CHAIN_ID,
  followConsortium,
  hospitalChainId,
  Net,
  setupActors,
  sleep,
  writeRecord,
  type Actors
} from './harness.js';
import { report } from './results.js';

let net: Net;
let a: Actors;
let other: Account;
const H1 = hospitalChainId('H1');

interface Attempt {
  attack: string;
  path: 'write' | 'read' | 'grant';
  node: DevnetNode;
  refused: boolean;
  code: string;
  logged: boolean;
}
const attempts: Attempt[] = [];
/** Records the attacks tried to commit: none may be in any node's state afterwards. */
const attackRecords: Uint8Array[] = [];

/** Run one attack against `node`; refused = a named refusal came back; logged = the node wrote it down. */
async function attempt(
  attack: string,
  path: Attempt['path'],
  node: DevnetNode,
  run: () => Promise<{ accepted: boolean; code?: string }>
): Promise<Attempt> {
  const from = net.logSize(node);
  let r: { accepted: boolean; code?: string };
  try {
    r = await run();
  } catch (e) {
    r = { accepted: false, code: String((e as { code?: string }).code ?? (e as Error).message) };
  }
  await sleep(300);
  const code = r.code ?? '';
  const logged =
    !r.accepted &&
    net.logSince(node, from).some((l) => JSON.stringify(l).includes(code) && l.level !== undefined);
  const x = { attack, path, node, refused: !r.accepted && /^[a-z]+\/[a-z-]+$/.test(code), code, logged };
  attempts.push(x);
  return x;
}

async function submitRecordAs(
  doctor: Account,
  grant: { id: Uint8Array; epoch: number } & Parameters<typeof recordTx>[4],
  category: string,
  via: DevnetNode
) {
  const blob = net.rng(400);
  const atts = await storeOnMirrors(
    net.client,
    net.h1.filter((n) => n.roles.includes('mirror')).map((n) => n.addr),
    blob
  );
  const r = recordTx(doctor, a.patient, 'H1', category, grant, blob, atts);
  attackRecords.push(r.mhrHash);
  return submit(net.client, via.addr, H1, r.tx);
}

beforeAll(async () => {
  // Debug level: the nodes log every refused protocol request with its code.
  net = await Net.start({ name: 'consent', env: { CARECHAIN_LOG: 'debug' } });
  other = account('Dr Other (H1)', net.rng(32));
  a = await setupActors(net, [other]);
}, 240_000);

afterAll(async () => {
  const refused = attempts.filter((x) => x.refused).length;
  report('consent-attacks', {
    consent_attacks: attempts.length,
    consent_refused: refused,
    consent_logged: attempts.filter((x) => x.logged).length,
    refusals: attempts.map((x) => `${x.path}:${x.attack}=${x.refused ? x.code : 'ACCEPTED'}`).join(' ')
  });
  await net?.close();
}, 60_000);

describe('consent attacks', () => {
  it('every attack is refused with a named error and changes nothing', async () => {
    const [n1, n2, n3] = [net.h1[0]!, net.h1[1]!, net.h1[2]!];
    const now = Date.now();
    const honest = await writeRecord(net, a, n2);
    expect(honest.acked, honest.error).toBe(true);
    const readAs = (who: Account, grantId: Uint8Array | null, category: string, node = n2) =>
      readBlob(net.client, node, who, honest.mhrHash, {
        grantId,
        capability: capabilityFor(a.patient, category)
      }).then(() => ({ accepted: true }));

    // Grants the attacks lean on: one that expired an hour ago, and one revoked before it was submitted.
    const expired = grantTx(
      a.patient,
      other,
      { categories: [a.category], read: true, write: true },
      { seq: 20, notBefore: now - 7_200_000, expiry: now - 3_600_000, rng: net.rng }
    );
    await submitOk(net.client, n1.addr, CONSORTIUM_CHAIN_ID, expired.tx);
    const stale = grantTx(
      a.patient,
      other,
      { categories: [a.category], read: true, write: true },
      { seq: 21, notBefore: now - 60_000, expiry: now + 3_600_000, rng: net.rng }
    );
    const revocation = createRevocation({
      seed: a.patient.seed,
      target: { grant: stale.id },
      seq: 22,
      time: now
    });
    await submitOk(net.client, n1.addr, CONSORTIUM_CHAIN_ID, revokeTxCodec.encode(makeRevokeTx(revocation)));
    // Submitted after its revocation is on chain: whether the chain takes it or not, it must grant nothing.
    const staleSubmit = await submit(net.client, n1.addr, CONSORTIUM_CHAIN_ID, stale.tx);
    await followConsortium(net);

    // --- grants themselves
    await attempt('forged grant (doctor swapped under the patient signature)', 'grant', n1, async () => {
      const g = grantTxCodec.decode(
        grantTx(
          a.patient,
          a.writer,
          { categories: 'all' as never, read: true, write: false },
          { seq: 30, notBefore: now - 60_000, expiry: now + 3_600_000, rng: net.rng }
        ).tx
      );
      const forged = grantTxCodec.encode({ ...g, grant: { ...g.grant, doctor: other.keys.signingPublic } });
      return submit(net.client, n1.addr, CONSORTIUM_CHAIN_ID, forged);
    });
    await attempt('replayed grant (committed grant submitted again)', 'grant', n1, () =>
      submit(net.client, n1.addr, CONSORTIUM_CHAIN_ID, a.grant.tx)
    );
    await attempt('replayed revocation', 'grant', n1, () =>
      submit(net.client, n1.addr, CONSORTIUM_CHAIN_ID, revokeTxCodec.encode(makeRevokeTx(revocation)))
    );

    // --- write path: record transactions the validators must refuse
    await attempt('forged record (author signature broken)', 'write', n3, async () => {
      const blob = net.rng(300);
      const atts = await storeOnMirrors(
        net.client,
        net.h1.filter((n) => n.roles.includes('mirror')).map((n) => n.addr),
        blob
      );
      const r = recordTx(a.writer, a.patient, 'H1', a.category, a.grant, blob, atts);
      attackRecords.push(r.mhrHash);
      const signed = appendRecordCodec.decode(r.tx);
      const sig = signed.sig.slice();
      sig[0]! ^= 0x01;
      return submit(net.client, n3.addr, H1, appendRecordCodec.encode({ ...signed, sig }));
    });
    // Committed through n3, replayed to n2: n2 is the node that refuses it, so n2's log must name it.
    await attempt('replayed record (committed record submitted again)', 'write', n2, async () => {
      const blob = net.rng(300);
      const atts = await storeOnMirrors(
        net.client,
        net.h1.filter((n) => n.roles.includes('mirror')).map((n) => n.addr),
        blob
      );
      const r = recordTx(a.writer, a.patient, 'H1', a.category, a.grant, blob, atts);
      const first = await submit(net.client, n3.addr, H1, r.tx);
      if (!first.accepted) throw new Error(`honest record refused: ${first.code}`);
      return submit(net.client, n2.addr, H1, r.tx);
    });
    await attempt('expired grant used to write', 'write', n3, () =>
      submitRecordAs(other, expired, a.category, n3)
    );
    await attempt("wrong doctor writes under another doctor's grant", 'write', n3, () =>
      submitRecordAs(other, a.grant, a.category, n3)
    );
    await attempt('out-of-scope category written', 'write', n3, () =>
      submitRecordAs(a.writer, a.grant, 'IX', n3)
    );
    await attempt('stale grant (submitted after its revocation) used to write', 'write', n3, () =>
      submitRecordAs(other, stale, a.category, n3)
    );

    // --- read path: blob requests a mirror must refuse before serving a byte
    await attempt('expired grant used to read', 'read', n2, () => readAs(other, expired.id, a.category));
    await attempt("wrong doctor reads under another doctor's grant", 'read', n2, () =>
      readAs(other, a.grant.id, a.category)
    );
    await attempt('out-of-scope capability read', 'read', n2, () => readAs(a.writer, a.grant.id, 'IX'));
    await attempt('stale grant (submitted after its revocation) used to read', 'read', n2, () =>
      readAs(other, stale.id, a.category)
    );
    await attempt('forged read request (claims the writer, signed by another key)', 'read', n2, () =>
      readAs(
        { ...other, keys: { ...other.keys, signingPublic: a.writer.keys.signingPublic } },
        a.grant.id,
        a.category
      )
    );
    await attempt('replayed read request (same nonce twice)', 'read', n2, async () => {
      const fixed = net.rng(16);
      const rq = () =>
        readBlob(net.client, n2, a.writer, honest.mhrHash, {
          grantId: a.grant.id,
          capability: capabilityFor(a.patient, a.category),
          rng: () => fixed
        });
      await rq();
      await rq();
      return { accepted: true };
    });

    // Nothing an attack sent was committed, on any node.
    for (const n of net.h1)
      for (const h of attackRecords) expect(await net.hasRecord(n, 'H1', h), n.name).toBe(false);
    expect(await net.hasRecord(n1, 'H1', honest.mhrHash)).toBe(true);

    const table = attempts.map((x) => ({
      attack: `${x.path}: ${x.attack}`,
      code: x.refused ? x.code : `ACCEPTED (${x.code})`,
      logged: x.logged
    }));
    console.table(table);
    console.log(
      'stale grant submitted after revocation:',
      staleSubmit.accepted ? 'accepted (inert)' : staleSubmit
    );
    expect(attempts.filter((x) => !x.refused).map((x) => x.attack)).toEqual([]);
    expect(attempts.length).toBeGreaterThanOrEqual(14);
  });

  it('every refusal is logged by the node that refused it', () => {
    expect(attempts.length).toBeGreaterThanOrEqual(14);
    expect(
      attempts.filter((x) => !x.logged).map((x) => `${x.path}: ${x.attack} (${x.code}) on ${x.node.name}`)
    ).toEqual([]);
  });
});
