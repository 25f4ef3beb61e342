/**
 * The node's mailbox of registry requests (src/lib/core/chain/mail.ts): registrations and recoveries
 * waiting for the managers, and rank or hospital changes a manager proposed. A post is checked
 * against the managers of the consortium state this node follows, merged with what is held under
 * the same subject, written to LevelDB before it is acknowledged, and forwarded once to the other
 * consortium nodes, so a manager connected to any node sees it. When the approvals are a majority the
 * node submits the transaction; a committed registry transaction takes its post out of the mailbox.
 */
import {
  assembleMailTx,
  checkMailPost,
  mailKey,
  mailPostCodec,
  mailRequester,
  mergeMail,
  type MailPost
} from '../lib/core/chain/mail.js';
import { account, managers } from '../lib/core/chain/rules/lookup.js';
import { majorityOf } from '../lib/core/accounts/approval.js';
import { CoreError, isCoreError } from '../lib/core/errors.js';
import type { ChainDriver } from './driver/chain-driver.js';
import type { Logger } from './log.js';
import type { NodeDb, Op } from './storage/db.js';

/**
 * Posts held at once. Registrations arrive at the pace people sign up (a few a day per hospital) and
 * leave once approved; 2,000 is weeks of backlog for a consortium, and at most ~32 MiB of LevelDB.
 */
export const MAX_MAILBOX_POSTS = 2_000;
/** A request nobody approved within 30 days is dropped; the requester can post it again. */
export const MAIL_TTL_MS = 30 * 86_400_000;

const HELD = 'mail/';
const SETTLED = 'mail-settled/';

export type MailVerdict = { accepted: true } | { accepted: false; code: string };

export interface MailboxOptions {
  db: NodeDb;
  consortium: ChainDriver;
  log: Logger;
  /** Sends a post this node accepted (or enriched) to the other consortium nodes; best effort. */
  forward: (post: MailPost) => void;
  now?: () => number;
}

/** When the request or change was made: what the TTL counts from. */
const madeAt = (p: MailPost): number =>
  p.body.kind === 'registration'
    ? p.body.request.created
    : p.body.kind === 'recovery'
      ? p.body.recovery.created
      : p.body.change.time;

export class Mailbox {
  private readonly held = new Map<string, MailPost>();
  private readonly now: () => number;

  constructor(private readonly o: MailboxOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Reads what was held before a restart (re-checked: disk is untrusted too). */
  async start(): Promise<void> {
    for await (const [key, bytes] of this.o.db.range(HELD)) {
      try {
        const post = mailPostCodec.decode(bytes);
        if (mailKey(post.body) === key) this.held.set(key, post);
      } catch {
        this.o.log.warn('mailbox: dropping an unreadable stored post', { key });
      }
    }
    this.o.log.info('mailbox ready', { held: this.held.size });
  }

  get size(): number {
    return this.held.size;
  }

  async post(post: MailPost): Promise<MailVerdict> {
    try {
      return await this.admit(post);
    } catch (e) {
      const code = isCoreError(e) ? e.code : 'node/storage-corrupt';
      return { accepted: false, code };
    }
  }

  private async admit(post: MailPost): Promise<MailVerdict> {
    const state = this.o.consortium.state;
    const mgrs = managers(state);
    const verdict = checkMailPost(post, mgrs);
    if (!verdict.ok) return { accepted: false, code: verdict.error.code };
    const key = mailKey(post.body);
    if (this.now() - madeAt(post) > MAIL_TTL_MS) return { accepted: false, code: 'node/stale-request' };
    // Already decided: the account exists, or the change committed.
    const body = post.body;
    const made = mailRequester(body);
    if (made && account(state, made)) return { accepted: false, code: 'account/exists' };
    if ((await this.o.db.get(SETTLED + key)) !== undefined)
      return { accepted: false, code: 'node/duplicate-tx' };

    const before = this.held.get(key);
    if (!before && this.held.size >= MAX_MAILBOX_POSTS) this.expire();
    if (!before && this.held.size >= MAX_MAILBOX_POSTS) return { accepted: false, code: 'node/mailbox-full' };
    const { post: merged, added } = mergeMail(before, post);
    if (before && added === 0) return { accepted: true };
    await this.o.db.write([{ type: 'put', key: HELD + key, value: mailPostCodec.encode(merged) }]);
    this.held.set(key, merged);
    this.o.log.info('mailbox: filed', {
      kind: body.kind,
      subject: key.slice(0, 16),
      approvals: merged.approvals.length,
      needed: majorityOf(mgrs.length)
    });
    this.o.forward(merged);
    this.submitIfDecided(key, merged, mgrs);
    return { accepted: true };
  }

  /** A page of held posts in subject order, after `after`. */
  list(after: string, limit: number): { posts: MailPost[]; more: boolean } {
    const now = this.now();
    const keys = [...this.held]
      .filter(([k, p]) => k > after && now - madeAt(p) <= MAIL_TTL_MS)
      .map(([k]) => k)
      .sort();
    return { posts: keys.slice(0, limit).map((k) => this.held.get(k)!), more: keys.length > limit };
  }

  private submitIfDecided(key: string, post: MailPost, mgrs: Uint8Array[]) {
    if (post.approvals.length < majorityOf(mgrs.length)) return;
    const tx = assembleMailTx(post, mgrs);
    if (!tx) return;
    try {
      this.o.consortium.submit(tx, 'mailbox');
      this.o.log.info('mailbox: majority reached, transaction submitted', { subject: key.slice(0, 16) });
    } catch (e) {
      // Another node's identical transaction got there first (same approvals, same bytes), or the
      // chain refuses it now (e.g. the account exists): the commit, or the TTL, clears the post.
      const code = e instanceof CoreError ? e.code : String(e);
      if (code !== 'node/duplicate-tx')
        this.o.log.info('mailbox: transaction refused', { code, subject: key });
    }
  }

  /**
   * Takes out the posts these committed registry transactions decided (subjects in hex, from the
   * registration index's single ordered pass over the consortium blocks: src/node/registry.ts).
   */
  async settle(keys: readonly string[]) {
    const ops: Op[] = [];
    for (const key of keys) {
      this.held.delete(key);
      ops.push(
        { type: 'del', key: HELD + key },
        { type: 'put', key: SETTLED + key, value: new Uint8Array(1) }
      );
    }
    if (ops.length === 0) return;
    try {
      await this.o.db.write(ops);
    } catch (e) {
      this.o.log.warn('mailbox: could not record settled requests', { error: String(e) });
    }
    // A change of managers may decide posts that were waiting; a retry costs a tally per such post.
    const mgrs = managers(this.o.consortium.state);
    for (const [key, post] of this.held) this.submitIfDecided(key, post, mgrs);
  }

  /** Drops posts past their TTL (from memory and disk). */
  private expire() {
    const now = this.now();
    const old = [...this.held].filter(([, p]) => now - madeAt(p) > MAIL_TTL_MS).map(([k]) => k);
    for (const k of old) this.held.delete(k);
    if (old.length) void this.o.db.write(old.map((k) => ({ type: 'del' as const, key: HELD + k })));
  }
}
