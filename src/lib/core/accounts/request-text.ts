/**
 * A registration or recovery request as text: `carechain:<kind>:<base64url of the canonical bytes>`,
 * short enough for one QR code, and the same text is the file a manager opens. The app makes it on the
 * new account's device (client/requests.ts), `carechain request` for a hospital node; managers parse it
 * here, strictly, signature checked, before anything is shown or approved.
 */
import { fromBase64url, toBase64url } from '../consent/base64url.js';
import { CoreError, isCoreError } from '../errors.js';
import { recoveryCodec, verifyRecovery, type Recovery } from './recovery.js';
import { registrationCodec, verifyRegistration, type Registration } from './registration.js';

const PREFIX = 'carechain:';
/** A registration is at most 2 KiB (core's limit); as base64url text that is under 3,000 characters. */
export const MAX_REQUEST_CHARS = 3000;

export type SignedRequest =
  { kind: 'registration'; value: Registration } | { kind: 'recovery'; value: Recovery };

export function requestText(req: SignedRequest): string {
  const bytes =
    req.kind === 'registration' ? registrationCodec.encode(req.value) : recoveryCodec.encode(req.value);
  return `${PREFIX}${req.kind}:${toBase64url(bytes)}`;
}

/** Parses a request a manager scanned, pasted or opened as a file; only a correctly signed request passes. */
export function parseRequestText(text: string): SignedRequest {
  const trimmed = text.trim();
  if (trimmed.length > MAX_REQUEST_CHARS) throw new CoreError('decode/too-large', { type: 'request' });
  const m = /^carechain:(registration|recovery):([A-Za-z0-9_-]+)$/.exec(trimmed);
  if (!m) throw new CoreError('decode/schema', { type: 'request', detail: 'not a carechain request' });
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(m[2]!);
  } catch (e) {
    if (isCoreError(e)) throw e;
    throw new CoreError('decode/malformed', { type: 'request' });
  }
  if (m[1] === 'registration') {
    const value = registrationCodec.decode(bytes);
    const verdict = verifyRegistration(value);
    if (!verdict.ok) throw verdict.error;
    return { kind: 'registration', value };
  }
  const value = recoveryCodec.decode(bytes);
  const verdict = verifyRecovery(value);
  if (!verdict.ok) throw verdict.error;
  return { kind: 'recovery', value };
}
