/**
 * mailbox: registry requests waiting for the managers (src/lib/core/chain/mail.ts). A new user posts
 * their signed registration or recovery; a manager posts the same body with their approval; a node
 * forwards what it accepted to the other consortium nodes; a manager's app lists what waits, a page at
 * a time, in subject order. Once a majority approved, the node holding the post submits the
 * transaction, so the managers never have to be online together.
 */
import { TAGS } from '../core/constants.js';
import { defineCodec } from '../core/encoding/codec.js';
import { hash32, header, id, list, text, v } from '../core/encoding/schema.js';
import { MailPostSchema, type MailPost } from '../core/chain/mail.js';
import { RegistrationSchema, type Registration } from '../core/accounts/registration.js';
import { type ProtocolLimits, type ServeContext, unaryProtocol } from './rpc.js';

export const MAILBOX_PROTOCOL = '/carechain/mailbox/1';

/** One post is at most 16 KiB (mailPostCodec); a request carries one. */
const MAX_POST_BYTES = 16 * 1024;
/**
 * Posts per listing page. A typical post — a request with a few approvals — is about 1 KiB, the
 * largest 16 KiB; 32 of the largest stay under the response cap below.
 */
export const MAIL_PAGE = 32;
/** Registrations asked for at once: a directory page; 64 of the largest (4 KiB) is 256 KiB. */
export const MAX_REGISTRATIONS = 64;

export const MAILBOX_LIMITS: ProtocolLimits = {
  maxRequestBytes: MAX_POST_BYTES + 256,
  maxResponseBytes: MAIL_PAGE * MAX_POST_BYTES + 1024,
  maxResponseFrames: 1,
  timeoutMs: 10_000,
  /** A manager's app lists and approves a handful at a time; nodes forward one post each. */
  maxInboundStreams: 8,
  maxOutboundStreams: 8
};

export const mailRequestSchema = v.variant('op', [
  v.strictObject({ ...header(TAGS.netMailRequest), op: v.literal('post'), post: MailPostSchema }),
  /** Posts whose subject (hex) sorts after `after` ('' for the first page). */
  v.strictObject({ ...header(TAGS.netMailRequest), op: v.literal('list'), after: text(64) }),
  /**
   * The committed registrations of these accounts: the chain keeps only each one's hash (the account's
   * `request`), so a doctor's public profile comes from here and is believed only if it hashes to it.
   */
  v.strictObject({
    ...header(TAGS.netMailRequest),
    op: v.literal('registrations'),
    keys: list(hash32, MAX_REGISTRATIONS)
  })
]);
export type MailRequest = v.InferOutput<typeof mailRequestSchema>;
export const mailRequestCodec = defineCodec(
  'net/mail-request',
  mailRequestSchema,
  MAILBOX_LIMITS.maxRequestBytes
);

export const mailResponseSchema = v.variant('op', [
  v.strictObject({
    ...header(TAGS.netMailResponse),
    op: v.literal('post'),
    accepted: v.boolean(),
    /** Why not, when not accepted (a core error code); '' when accepted. */
    code: v.union([v.literal(''), id(64)])
  }),
  v.strictObject({
    ...header(TAGS.netMailResponse),
    op: v.literal('list'),
    posts: list(MailPostSchema, MAIL_PAGE),
    more: v.boolean()
  }),
  v.strictObject({
    ...header(TAGS.netMailResponse),
    op: v.literal('registrations'),
    found: list(RegistrationSchema, MAX_REGISTRATIONS)
  })
]);
export type MailResponse = v.InferOutput<typeof mailResponseSchema>;
export const mailResponseCodec = defineCodec(
  'net/mail-response',
  mailResponseSchema,
  MAILBOX_LIMITS.maxResponseBytes
);

export interface MailboxService {
  /** Checks and files a post; a refusal is an answer (with its code), not an exception. */
  post(post: MailPost, ctx: ServeContext): Promise<{ accepted: true } | { accepted: false; code: string }>;
  list(after: string, ctx: ServeContext): Promise<{ posts: MailPost[]; more: boolean }>;
  /** The committed registrations this node knows among `keys` (absent ones are left out). */
  registrations(keys: Uint8Array[], ctx: ServeContext): Promise<Registration[]>;
}

const rpc = unaryProtocol(
  MAILBOX_PROTOCOL,
  mailRequestCodec,
  mailResponseCodec,
  MAILBOX_LIMITS,
  TAGS.netMailResponse
);

export const handleMailbox = rpc.handler(async (s: MailboxService, req, ctx) => {
  if (req.op === 'list') return { op: 'list' as const, ...(await s.list(req.after, ctx)) };
  if (req.op === 'registrations')
    return { op: 'registrations' as const, found: await s.registrations(req.keys, ctx) };
  const r = await s.post(req.post, ctx);
  return { op: 'post' as const, accepted: r.accepted, code: r.accepted ? '' : r.code };
});

export const requestMailbox = rpc.request;
