/**
 * The outbox: signed actions made on this device (grants, revocations, records, approvals…) wait here,
 * in IndexedDB, until they reach the network. Signing happens before enqueueing, so sending needs no
 * key and a revocation made offline is already final in intent. Entries are sent strictly in the order
 * they were made (a revocation must not overtake the grant it revokes); a transport failure stops the
 * flush and leaves the rest pending, a refusal by the network marks that entry failed and goes on.
 */
import { isCoreError } from '../core/errors.js';
import type { Db } from './db.js';

export type { OutboxAction, OutboxEntry, OutboxKind, OutboxStatus } from './stored.js';
import type { OutboxAction, OutboxEntry } from './stored.js';

/** Delivers one action; resolves once the network accepted it. Injected: the light client provides it. */
export type SendAction = (action: OutboxAction) => Promise<void>;

export interface FlushResult {
  sent: number;
  failed: number;
  pending: number;
}

export class Outbox {
  private flushing: Promise<FlushResult> | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: Db) {}

  /** Called after every change so badges and lists can refresh. Returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed() {
    for (const fn of this.listeners) fn();
  }

  async enqueue(action: OutboxAction, now: number): Promise<number> {
    const entry: OutboxEntry = { ...action, status: 'pending', createdAt: now, attempts: 0 };
    const id = await this.db.add('outbox', entry);
    this.changed();
    return id;
  }

  /** All entries in the order they were made. */
  async list(): Promise<OutboxEntry[]> {
    return this.db.getAll('outbox');
  }

  async pendingCount(): Promise<number> {
    return this.db.countFromIndex('outbox', 'byStatus', 'pending');
  }

  /**
   * Sends pending entries in order. Only one flush runs at a time in this page; across tabs the Web
   * Locks API (where present) keeps two tabs from sending the same entry twice.
   */
  flush(send: SendAction, now: () => number): Promise<FlushResult> {
    this.flushing ??= this.withLock(() => this.flushInOrder(send, now)).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    return locks ? locks.request('carechain-outbox', fn) : fn();
  }

  private async flushInOrder(send: SendAction, now: () => number): Promise<FlushResult> {
    let sent = 0;
    let failed = 0;
    const pending = await this.db.getAllFromIndex('outbox', 'byStatus', 'pending');
    pending.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    for (let i = 0; i < pending.length; i++) {
      const entry = pending[i]!;
      entry.attempts += 1;
      try {
        await send({ kind: entry.kind, bytes: entry.bytes, summary: entry.summary });
        entry.status = 'sent';
        entry.sentAt = now();
        delete entry.lastError;
        sent++;
      } catch (e) {
        // A named protocol error means the network judged the action and refused it: retrying the same
        // bytes cannot succeed. Anything else (offline, timeout) is transient: stop and keep the order.
        const refused = isCoreError(e) && e.action === 'reject';
        entry.lastError = isCoreError(e) ? e.code : e instanceof Error ? e.message : String(e);
        if (refused) {
          entry.status = 'failed';
          failed++;
        } else {
          await this.db.put('outbox', entry);
          this.changed();
          return { sent, failed, pending: pending.length - i };
        }
      }
      await this.db.put('outbox', entry);
      this.changed();
    }
    return { sent, failed, pending: 0 };
  }

  /** Puts a failed entry back in the queue (after the user fixed what was wrong, e.g. re-registered). */
  async retry(id: number): Promise<void> {
    const entry = await this.db.get('outbox', id);
    if (entry && entry.status === 'failed') {
      entry.status = 'pending';
      await this.db.put('outbox', entry);
      this.changed();
    }
  }

  /** Drops entries the network already has; keeps pending and failed ones. */
  async pruneSent(): Promise<void> {
    const sent = await this.db.getAllKeysFromIndex('outbox', 'byStatus', 'sent');
    const tx = this.db.transaction('outbox', 'readwrite');
    await Promise.all([...sent.map((k) => tx.store.delete(k)), tx.done]);
    this.changed();
  }
}
