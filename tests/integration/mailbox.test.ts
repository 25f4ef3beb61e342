/**
 * The registry mailbox on real node processes (2 hospitals × 4 nodes on 127.0.0.1, real LevelDB and
 * libp2p): a new user's signed registration posted to one node, each manager's approval posted to a
 * different node, and the account active on chain once a majority approved — with no manager ever
 * assembling a transaction. Posts survive a node's restart (acknowledged = on disk), forgeries are
 * refused by name, and a listing from two nodes is checked against the proven managers.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Libp2p } from 'libp2p';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approve } from '../../src/lib/core/accounts/approval.js';
import { signRegistration } from '../../src/lib/core/accounts/registration.js';
import { accountEntryCodec } from '../../src/lib/core/chain/entries.js';
import { CONSORTIUM_CHAIN_ID } from '../../src/lib/core/chain/header.js';
import {
  mailKey,
  mailPost,
  mailSubject,
  type MailBody,
  type MailPost
} from '../../src/lib/core/chain/mail.js';
import { NS } from '../../src/lib/core/chain/store.js';
import { TAGS } from '../../src/lib/core/constants.js';
import { fromHex, seededRng, toHex, utf8Bytes } from '../../src/lib/core/crypto/index.js';
import { stateKey } from '../../src/lib/core/state/smt.js';
import { requestMailbox } from '../../src/lib/net/mailbox.js';
import { requestStateProof } from '../../src/lib/net/state-proof.js';
import { listMail, provenProfiles } from '../../src/lib/light/mailbox.js';
import type { NodeInfo } from '../../src/lib/light/submit.js';
import { account, createClient, doctorFields, type Account } from '../../src/node/devnet/actors.js';
import { createLayout, type DevnetLayout, type DevnetNode } from '../../src/node/devnet/layout.js';
import { freePortBlock } from '../../src/node/devnet/ports.js';
import { health, spawnNode, stopProcess, waitFor, waitHealthy } from '../../src/node/devnet/process.js';

const dir = mkdtempSync(join(tmpdir(), 'cc-mail-'));
const rng = seededRng(utf8Bytes('mailbox-test'));
let layout: DevnetLayout;
let nodes: DevnetNode[];
const procs = new Map<DevnetNode, ChildProcess>();
let client: Libp2p;
let managers: Account[];
const doctor = account('Dr Mailbox (H2)', rng(32));

function start(n: DevnetNode) {
  procs.set(n, spawnNode(n.configFile, join(n.dir, 'node.log')));
}

async function post(n: DevnetNode, p: MailPost) {
  const r = await requestMailbox(client, multiaddr(n.addr), {
    t: TAGS.netMailRequest,
    v: 1,
    op: 'post',
    post: p
  });
  if (r.op !== 'post') throw new Error('not a post answer');
  return r;
}

async function list(n: DevnetNode): Promise<MailPost[]> {
  const r = await requestMailbox(client, multiaddr(n.addr), {
    t: TAGS.netMailRequest,
    v: 1,
    op: 'list',
    after: ''
  });
  if (r.op !== 'list') throw new Error('not a list answer');
  return r.posts;
}

async function accountOn(n: DevnetNode, key: Uint8Array) {
  const r = await requestStateProof(client, multiaddr(n.addr), {
    t: TAGS.netStateRequest,
    v: 1,
    chainId: CONSORTIUM_CHAIN_ID,
    key: stateKey(NS.account, key) as never,
    height: null
  });
  return r.value ? accountEntryCodec.decode(r.value) : null;
}

/** Managers' apps list from the consortium authorities: every post is forwarded along their links. */
const authorities = () => nodes.filter((n) => n.authority).map(info);

function info(n: DevnetNode): NodeInfo {
  return {
    url: n.httpUrl,
    addrs: [multiaddr(n.addr)],
    peerId: n.peerId,
    hospital: n.hospital,
    roles: [],
    consortiumAuthority: true
  };
}

beforeAll(async () => {
  layout = await createLayout(dir, {
    hospitals: 2,
    basePort: await freePortBlock(2 * 4 * 4, 13000, 16000),
    timeouts: { proposeMs: 1000, prevoteMs: 400, precommitMs: 400, roundDeltaMs: 200 },
    indexIntervalMs: 300,
    seed: 'mailbox'
  });
  nodes = layout.hospitals.flatMap((h) => h.nodes);
  managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
  for (const n of nodes) start(n);
  for (const n of nodes) await waitHealthy(n.name, n.httpUrl, procs.get(n)!, join(n.dir, 'node.log'));
  client = await createClient();
}, 150_000);

afterAll(async () => {
  await client?.stop();
  await Promise.all([...procs.values()].map((p) => stopProcess(p)));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('registry mailbox on real nodes', () => {
  const body: MailBody = {
    kind: 'registration',
    request: signRegistration(
      {
        ...doctorFields(doctor.name, 'H2', 'registrar'),
        signingPublic: doctor.keys.signingPublic,
        encryptionPublic: doctor.keys.encryptionPublic,
        created: Date.now()
      } as Parameters<typeof signRegistration>[0],
      doctor.keys.signingSeed
    )
  };
  const approval = (i: number) => approve(managers[i]!.keys.signingSeed, mailSubject(body));

  it('refuses a forged request and a non-manager approval by name', async () => {
    const forged: MailBody = {
      ...body,
      request: { ...body.request, created: body.request.created + 1 }
    } as MailBody;
    expect(await post(nodes[0]!, mailPost(forged))).toMatchObject({
      accepted: false,
      code: 'crypto/bad-signature'
    });
    const stranger = approve(doctor.keys.signingSeed, mailSubject(body));
    expect(await post(nodes[0]!, mailPost(body, [stranger]))).toMatchObject({
      accepted: false,
      code: 'account/not-manager'
    });
  });

  it('a request posted to one node reaches the others; it survives that node’s restart', async () => {
    expect(await post(nodes[0]!, mailPost(body))).toMatchObject({ accepted: true });
    const key = mailKey(body);
    // Forwarded along the consortium links: every hospital's authority node lists it.
    for (const n of nodes.filter((x) => x.authority))
      await waitFor(
        `listed on ${n.name}`,
        async () => ((await list(n)).some((p) => mailKey(p.body) === key) ? true : undefined),
        30_000
      );
    const n0 = nodes.find((x) => x.authority)!;
    await stopProcess(procs.get(n0)!);
    start(n0);
    await waitFor(n0.name, () => health(n0.httpUrl), 90_000);
    expect((await list(n0)).map((p) => mailKey(p.body))).toContain(key);
  }, 150_000);

  it('approvals posted to different nodes make the account active; the light listing shows progress', async () => {
    const key = mailKey(body);
    expect(await post(nodes[1]!, mailPost(body, [approval(0)]))).toMatchObject({ accepted: true });
    const listed = await listMail(
      client,
      authorities(),
      managers.map((m) => m.keys.signingPublic)
    );
    // The approval posted to node 1 reached the nodes listed here, or they are merged with it.
    await waitFor(
      'approval forwarded',
      async () => {
        const l = await listMail(
          client,
          authorities(),
          managers.map((m) => m.keys.signingPublic)
        );
        return l.posts.find((p) => mailKey(p.body) === key)?.approvals.length === 1 ? true : undefined;
      },
      30_000
    );
    expect(listed.rejected).toBe(0);
    expect(await accountOn(nodes[0]!, doctor.keys.signingPublic)).toBeNull();
    const t0 = Date.now();
    expect(await post(nodes[6]!, mailPost(body, [approval(2)]))).toMatchObject({ accepted: true });
    await waitFor(
      'account active',
      async () => (await accountOn(nodes[3]!, doctor.keys.signingPublic)) ?? undefined,
      60_000
    );
    console.log(`[mailbox] second_approval_to_active_ms: ${Date.now() - t0}`);
    const acct = await accountOn(nodes[3]!, doctor.keys.signingPublic);
    expect(acct).toMatchObject({ role: 'doctor', status: 'active', hospital: 'H2', rank: 'registrar' });
    // The directory's profile comes from the committed registration, believed because it hashes to the
    // account's `request`; one that does not (here: any other hash) is not believed.
    const proven = await provenProfiles(client, authorities(), [acct!]);
    expect(proven.get(toHex(doctor.keys.signingPublic))).toMatchObject({
      name: doctor.name,
      hospitalId: 'H2'
    });
    const forged = await provenProfiles(client, authorities(), [
      { key: acct!.key, request: new Uint8Array(32) }
    ]);
    expect(forged.size).toBe(0);
    // Settled: it leaves every mailbox, and posting it again is refused as done.
    await waitFor(
      'settled',
      async () => ((await list(nodes[0]!)).some((p) => mailKey(p.body) === key) ? undefined : true),
      30_000
    );
    expect(await post(nodes[0]!, mailPost(body, [approval(1)]))).toMatchObject({
      accepted: false,
      code: 'account/exists'
    });
  }, 120_000);
});
