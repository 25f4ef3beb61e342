/**
 * The mailbox protocol as this node serves it: posts and listings from phones and browsers (the
 * strict per-client guard), and forwarding what this node accepted to its consortium peers, each of
 * which files it and forwards it on only if it learned something (merging stops the echo). It also
 * hands out committed registrations (src/node/registry.ts) for the app's doctor directory.
 */
import { peerIdFromString } from '@libp2p/peer-id';
import { handleMailbox, MAIL_PAGE, requestMailbox } from '../lib/net/mailbox.js';
import { TAGS } from '../lib/core/constants.js';
import type { MailPost } from '../lib/core/chain/mail.js';
import type { NetHost, ServeOptions } from '../lib/net/rpc.js';
import type { ChainDriver } from './driver/chain-driver.js';
import type { Logger } from './log.js';
import { Mailbox } from './mailbox.js';
import { Registry } from './registry.js';
import type { NodeDb } from './storage/db.js';

export interface MailboxServiceDeps {
  db: NodeDb;
  consortium: ChainDriver;
  /** The consortium peers' ids: where accepted posts are forwarded. */
  peers: Set<string>;
  log: Logger;
  serve: ServeOptions;
  now?: () => number;
}

export async function serveMailbox(host: NetHost, d: MailboxServiceDeps): Promise<Mailbox> {
  const forward = (post: MailPost) => {
    for (const id of d.peers)
      requestMailbox(host, peerIdFromString(id), { t: TAGS.netMailRequest, v: 1, op: 'post', post }).then(
        (r) => {
          if (r.op === 'post' && !r.accepted)
            d.log.debug('mailbox: peer refused a forward', { peer: id, code: r.code });
        },
        (e) => d.log.debug('mailbox: forward failed', { peer: id, error: String(e) })
      );
  };
  const mailbox = new Mailbox({ db: d.db, consortium: d.consortium, log: d.log, forward, now: d.now });
  await mailbox.start();
  const registry = new Registry(d.db, d.consortium, d.log, (keys) => mailbox.settle(keys));
  await registry.start();
  await handleMailbox(
    host,
    {
      async post(post, ctx) {
        const verdict = await mailbox.post(post);
        if (!verdict.accepted)
          d.log.info('refused', { code: verdict.code, peer: ctx.peer, protocol: 'mailbox' });
        return verdict;
      },
      async list(after) {
        return mailbox.list(after, MAIL_PAGE);
      },
      registrations(keys) {
        return registry.get(keys);
      }
    },
    undefined,
    d.serve
  );
  return mailbox;
}
