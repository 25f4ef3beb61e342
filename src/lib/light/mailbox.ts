/**
 * The app's side of the nodes' registry mailbox (src/lib/net/mailbox.ts): post a signed request or a
 * manager's approval, and list what waits. Nothing listed is believed because a node said so: every
 * post is checked here against the managers the light client proved from consortium state (the
 * request's own signature, each approval's manager and signature), and listings from two nodes are
 * merged, so one node cannot hide a request or an approval the other holds.
 */
import { TAGS } from '../core/constants.js';
import { CoreError, ERROR_CODES, isCoreError, type ErrorCode } from '../core/errors.js';
import { checkMailPost, mailKey, mergeMail, type MailPost } from '../core/chain/mail.js';
import { MAX_REGISTRATIONS, requestMailbox } from '../net/mailbox.js';
import { registrationSubject, type DoctorProfile } from '../core/accounts/registration.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { toHex } from '../core/crypto/hash.js';
import type { NetHost, NodeInfo } from './submit.js';

/** Nodes asked for a listing: two, so one withholding node is outvoted by the union. */
export const MAIL_LIST_NODES = 2;
/** Pages read per node (32 posts each): the node-side cap of 2,000 held posts, plus headroom. */
export const MAIL_LIST_MAX_PAGES = 64;

/** Refusals that say "not now" rather than "never": the outbox keeps the entry and tries again. */
const TRANSIENT = new Set<string>([
  'node/mailbox-full',
  'node/rate-limited',
  'net/rate-limited',
  'node/timeout'
]);

/**
 * Posts to the first node that accepts; a node files it durably and forwards it to the others. A
 * refusal on the merits (bad signature, account exists, not a manager) is thrown at once as its named
 * error; if no node could take it, the last error is thrown as transient (action 'ignore').
 */
export async function postMail(host: NetHost, nodes: readonly NodeInfo[], post: MailPost): Promise<void> {
  if (nodes.length === 0)
    throw new CoreError('light/no-peers', { detail: 'no node for the mailbox' }, 'ignore');
  let last: unknown;
  for (const n of nodes) {
    try {
      const r = await requestMailbox(host, n.addrs, { t: TAGS.netMailRequest, v: 1, op: 'post', post });
      if (r.op !== 'post') throw new CoreError('net/remote-error', { detail: 'unexpected answer' }, 'ignore');
      if (r.accepted) return;
      const code = r.code in ERROR_CODES ? (r.code as ErrorCode) : 'net/remote-error';
      const err = new CoreError(code, { remote: true }, TRANSIENT.has(r.code) ? 'ignore' : 'reject');
      if (err.action === 'reject') throw err;
      last = err;
    } catch (e) {
      if (isCoreError(e) && e.data['remote'] && e.action === 'reject') throw e;
      last = e;
    }
  }
  throw isCoreError(last) ? new CoreError(last.code, { ...last.data }, 'ignore') : last;
}

async function listFrom(host: NetHost, node: NodeInfo): Promise<MailPost[]> {
  const out: MailPost[] = [];
  let after = '';
  for (let page = 0; page < MAIL_LIST_MAX_PAGES; page++) {
    const r = await requestMailbox(host, node.addrs, { t: TAGS.netMailRequest, v: 1, op: 'list', after });
    if (r.op !== 'list') throw new CoreError('net/remote-error', { detail: 'unexpected answer' }, 'ignore');
    for (const p of r.posts) {
      const key = mailKey(p.body);
      // Pages come in subject order; a node going backwards is repeating itself, not paging.
      if (key <= after) throw new CoreError('light/proof-invalid', { detail: 'mailbox page out of order' });
      after = key;
    }
    out.push(...r.posts);
    if (!r.more) break;
  }
  return out;
}

/**
 * What waits in the mailbox, as the union of two nodes' listings, each post checked against
 * `managers` (proven from consortium state by the caller). Posts that fail the check are dropped and
 * counted, not shown; approvals by a non-manager make the whole post fail, as the node should have
 * refused it.
 */
export async function listMail(
  host: NetHost,
  nodes: readonly NodeInfo[],
  managers: readonly Uint8Array[]
): Promise<{ posts: MailPost[]; rejected: number; asked: number }> {
  const asked: NodeInfo[] = [];
  const lists: MailPost[][] = [];
  let last: unknown;
  for (const n of nodes) {
    if (asked.length >= MAIL_LIST_NODES) break;
    try {
      lists.push(await listFrom(host, n));
      asked.push(n);
    } catch (e) {
      last = e;
    }
  }
  if (asked.length === 0)
    throw isCoreError(last)
      ? last
      : new CoreError('light/no-peers', { detail: 'no mailbox answered' }, 'ignore');
  const merged = new Map<string, MailPost>();
  let rejected = 0;
  for (const p of lists.flat()) {
    if (!checkMailPost(p, managers).ok) {
      rejected++;
      continue;
    }
    const key = mailKey(p.body);
    merged.set(key, mergeMail(merged.get(key), p).post);
  }
  return { posts: [...merged.values()], rejected, asked: asked.length };
}

/**
 * The public profiles of these doctor accounts, each believed only if its registration hashes to the
 * `request` the proven account entry holds (a node cannot rename a doctor). Accounts whose registration
 * no node had, or whose account came from a recovery (its `request` is the recovery's), are left out.
 */
export async function provenProfiles(
  host: NetHost,
  nodes: readonly NodeInfo[],
  accounts: readonly { key: Uint8Array; request: Uint8Array }[]
): Promise<Map<string, DoctorProfile>> {
  const out = new Map<string, DoctorProfile>();
  const want = new Map(accounts.map((a) => [toHex(a.key), a]));
  for (const n of nodes) {
    const missing = [...want.keys()].filter((k) => !out.has(k));
    if (missing.length === 0) break;
    for (let i = 0; i < missing.length; i += MAX_REGISTRATIONS) {
      const keys = missing.slice(i, i + MAX_REGISTRATIONS).map((k) => want.get(k)!.key);
      try {
        const r = await requestMailbox(host, n.addrs, {
          t: TAGS.netMailRequest,
          v: 1,
          op: 'registrations',
          keys: keys as never
        });
        if (r.op !== 'registrations') continue;
        for (const reg of r.found) {
          const a = want.get(toHex(reg.signingPublic));
          if (a && reg.role === 'doctor' && bytesEqual(registrationSubject(reg), a.request))
            out.set(toHex(a.key), reg.profile);
        }
      } catch {
        // a node that is down or refuses: the next one may have them
      }
    }
  }
  return out;
}
