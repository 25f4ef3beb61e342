/**
 * "Grant at checkup": the patient's phone shows a QR code holding a link
 *   <app origin>/#/scan/<payload>
 * that opens the app on the doctor's device (a phone camera follows links). `payload` is base64url of
 * the canonical CBOR of { t: 'cc/qr-grant', v, grant } — the whole signed grant with its encrypted
 * capabilities, so the doctor can submit it to the consortium chain without the patient being online.
 * The fragment (#) keeps the payload out of server logs and Referer headers.
 *
 * Size: a 5-category read+write grant is 1,052 characters, under LIMITS.maxQrChars (1,100, one QR
 * code at error correction L); a read (or read+write) grant for 'all' is shorter still, since its
 * caps are two root keys (grant.ts). A write-only grant for 'all' must list 22 public keys and tags
 * and is larger than one code can hold: encodeQrLink refuses it with 'consent/too-large' rather than
 * emit a code phones cannot scan.
 */
import { v, header } from '../encoding/schema.js';
import { defineCodec } from '../encoding/codec.js';
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError, isCoreError } from '../errors.js';
import { grantSchema, type Grant } from './grant.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { verifyGrant } from './verify.js';

export const QR_PATH = '/#/scan/';

/** The QR text limit bounds the bytes: 4 base64url characters carry 3 bytes. */
const MAX_QR_BYTES = Math.floor((LIMITS.maxQrChars * 3) / 4);

export const qrGrantSchema = v.strictObject({ ...header(TAGS.qrGrant), grant: grantSchema });
export type QrGrant = v.InferOutput<typeof qrGrantSchema>;
export const qrGrantCodec = defineCodec('qr-grant', qrGrantSchema, MAX_QR_BYTES);

/**
 * An origin as the browser writes `location.origin`: scheme, host, optional port; no path, query,
 * fragment, user info or whitespace. Anything else would make the link ambiguous to parse back.
 */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/;

export function encodeQrLink(origin: string, grant: Grant): string {
  if (typeof origin !== 'string' || !ORIGIN.test(origin))
    throw new CoreError('consent/malformed', { detail: 'not an origin (scheme://host[:port])' });
  let bytes: Uint8Array;
  try {
    bytes = qrGrantCodec.encode({ t: TAGS.qrGrant, v: PROTOCOL_VERSION, grant });
  } catch (e) {
    if (isCoreError(e, 'decode/too-large')) throw new CoreError('consent/too-large', { ...e.data });
    if (isCoreError(e)) throw new CoreError('consent/malformed', { detail: e.message, cause: e.code });
    throw e;
  }
  const link = origin + QR_PATH + toBase64url(bytes);
  if (link.length > LIMITS.maxQrChars)
    throw new CoreError('consent/too-large', { size: link.length, limit: LIMITS.maxQrChars });
  return link;
}

export interface ScannedGrant {
  origin: string;
  grant: Grant;
}

/**
 * Parse scanned text into a signature-checked grant. Never throws anything but a CoreError:
 * 'consent/too-large' over the character limit, 'consent/malformed' for a wrong prefix, bad
 * base64url or bad CBOR/schema, 'consent/bad-signature' for a grant its patient did not sign.
 * Whether the grant is for this doctor, current and unrevoked is verifyGrantFor's job.
 */
export function parseQrLink(text: unknown): ScannedGrant {
  if (typeof text !== 'string') throw new CoreError('consent/malformed', { detail: 'not text' });
  if (text.length > LIMITS.maxQrChars)
    throw new CoreError('consent/too-large', { size: text.length, limit: LIMITS.maxQrChars });
  const at = text.indexOf(QR_PATH);
  const origin = at < 0 ? '' : text.slice(0, at);
  if (!ORIGIN.test(origin)) throw new CoreError('consent/malformed', { detail: 'not a carechain scan link' });
  const bytes = fromBase64url(text.slice(at + QR_PATH.length));
  let qr: QrGrant;
  try {
    qr = qrGrantCodec.decode(bytes);
  } catch (e) {
    if (isCoreError(e)) throw new CoreError('consent/malformed', { detail: e.message, cause: e.code });
    throw e;
  }
  const verdict = verifyGrant(qr.grant);
  if (!verdict.ok) throw verdict.error;
  return { origin, grant: qr.grant };
}

export function decodeQrLink(text: unknown): Grant {
  return parseQrLink(text).grant;
}
