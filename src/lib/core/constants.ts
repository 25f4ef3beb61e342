/**
 * Limits and domain-separation tags. Every limit is named here with the reason for its size; every
 * signed or hashed object carries one of the type tags below plus a version, so a signature over one
 * kind of object can never be replayed as another.
 */

/** The one protocol version this software speaks. Decoders reject any other. */
export const PROTOCOL_VERSION = 1;

export const LIMITS = {
  /** Largest single encoded object (a block with its certificate): 4 MiB keeps a stream read bounded. */
  maxMessageBytes: 4 * 1024 * 1024,
  /** Largest encrypted record blob: FHIR bundles of a visit are tens of KiB; 1 MiB leaves room for scans as text. */
  maxBlobBytes: 1024 * 1024,
  /** Longest free-text field (names, reasons, addresses): a human line, not a document. */
  maxTextChars: 512,
  /** Longest identifier-like string (type tags, category codes, multiaddrs). */
  maxIdChars: 256,
  /** Most items in any list inside a signed object except block transaction lists. */
  maxListItems: 256,
  /** Most transactions in one block: bounds verification time per block (~2,000 signatures ≈ 50 ms in Node). */
  maxBlockTxs: 2048,
  /** Most categories a grant can name; more than this should be "all". */
  maxGrantCategories: 32,
  /** QR link payload limit: one QR code at error correction L (the SMART Health Cards limit). */
  maxQrChars: 1100,
  /** Sparse Merkle tree depth = bits of SHA-256 key. */
  smtDepth: 256
} as const;

/** Type tags ("t" field) of every encoded object. Changing one is a protocol change. */
export const TAGS = {
  registration: 'cc/registration',
  approval: 'cc/approval',
  recovery: 'cc/recovery',
  rankChange: 'cc/rank-change',
  hospitalChange: 'cc/hospital-change',
  grant: 'cc/grant',
  revocation: 'cc/revocation',
  qrGrant: 'cc/qr-grant',
  envelope: 'cc/envelope',
  record: 'cc/record',
  amendment: 'cc/amendment',
  accessLog: 'cc/access-log',
  attestation: 'cc/attestation',
  indexBatch: 'cc/index-batch',
  breakGlass: 'cc/break-glass',
  evidence: 'cc/evidence',
  vote: 'cc/vote',
  proposal: 'cc/proposal',
  header: 'cc/header',
  block: 'cc/block',
  commit: 'cc/commit',
  validatorSet: 'cc/validator-set',
  genesis: 'cc/genesis',
  smtLeaf: 'cc/smt-leaf',
  smtNode: 'cc/smt-node',
  txLeaf: 'cc/tx-leaf',
  txNode: 'cc/tx-node',
  // state (authenticated state and transaction Merkle trees)
  smtEmpty: 'cc/smt-empty',
  smtProof: 'cc/smt-proof',
  txEmpty: 'cc/tx-empty',
  txProof: 'cc/tx-proof'
} as const;

export type TypeTag = (typeof TAGS)[keyof typeof TAGS];

/** HKDF "info" labels for deriving keys from a 32-byte account seed. */
export const KDF_LABELS = {
  signing: 'cc/v1/key/signing',
  encryption: 'cc/v1/key/encryption',
  index: 'cc/v1/key/index',
  record: 'cc/v1/key/record',
  searchCapability: 'cc/v1/cap/search',
  indexTag: 'cc/v1/tag',
  wrap: 'cc/v1/wrap',
  passphraseWrap: 'cc/v1/passphrase-wrap'
} as const;

/** Passphrase KDF: scrypt at the OWASP-recommended N=2^17, r=8, p=1. */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1, dkLen: 32 } as const;
