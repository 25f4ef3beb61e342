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
  txProof: 'cc/tx-proof',
  txRoot: 'cc/tx-root',
  // chain (block, transactions and state entries of both chains)
  txAppendRecord: 'cc/tx/append-record',
  txRegister: 'cc/tx/register',
  txRecover: 'cc/tx/recover',
  txGrant: 'cc/tx/grant',
  txRevoke: 'cc/tx/revoke',
  txEvidence: 'cc/tx/evidence',
  committedBlock: 'cc/committed-block',
  writeCommit: 'cc/write-commit',
  recordId: 'cc/record-id',
  txHash: 'cc/tx-hash',
  approvalSubject: 'cc/approval-subject',
  stAccount: 'cc/st/account',
  stHospital: 'cc/st/hospital',
  stGrant: 'cc/st/grant',
  stConsent: 'cc/st/consent',
  stRevocation: 'cc/st/revocation',
  stGrantList: 'cc/st/grant-list',
  stPage: 'cc/st/page',
  stCheckpoint: 'cc/st/checkpoint',
  stRecord: 'cc/st/record',
  stValidators: 'cc/st/validators',
  stMarker: 'cc/st/marker',
  // light client proofs (src/lib/core/chain/change-proof.ts)
  changeProof: 'cc/change-proof',
  // light client: a chain's verified head as saved on the device (src/lib/light/view-codec.ts)
  lightView: 'cc/light/view',
  // net (src/lib/net: libp2p request/response messages)
  netError: 'cc/net/error',
  netGossip: 'cc/net/gossip',
  netGossipAck: 'cc/net/gossip-ack',
  netSyncRequest: 'cc/net/sync-request',
  netSyncBlock: 'cc/net/sync-block',
  netTxSubmit: 'cc/net/tx-submit',
  netTxResult: 'cc/net/tx-result',
  netHeaderRequest: 'cc/net/header-request',
  netHeaderResponse: 'cc/net/header-response',
  netStateRequest: 'cc/net/state-request',
  netStateResponse: 'cc/net/state-response',
  netTxProofRequest: 'cc/net/tx-proof-request',
  netTxProofResponse: 'cc/net/tx-proof-response',
  netBlobAuth: 'cc/net/blob-auth',
  netBlob: 'cc/net/blob',
  netMirrorRequest: 'cc/net/mirror-request',
  netMirrorResponse: 'cc/net/mirror-response',
  // accounts (src/lib/core/accounts)
  seedBackup: 'cc/seed-backup',
  seedCheck: 'cc/seed-check',
  // consent (src/lib/core/consent)
  writeRoot: 'cc/write-root',
  // chain: hospital validator set following the consortium (src/lib/core/chain/tx/sync-validators.ts)
  txSyncValidators: 'cc/tx/sync-validators',
  txAuthorityJoin: 'cc/tx/authority-join',
  // net: many transactions on one stream (src/lib/net/tx-batch.ts)
  netTxBatch: 'cc/net/tx-batch',
  netTxBatchResult: 'cc/net/tx-batch-result',
  // chain: registry requests waiting for the managers' approvals (src/lib/core/chain/mail.ts)
  mailPost: 'cc/mail-post',
  // net: the nodes' request mailbox (src/lib/net/mailbox.ts)
  netMailRequest: 'cc/net/mail-request',
  netMailResponse: 'cc/net/mail-response',
  // net: a record's inclusion proof and blob in one answer (src/lib/net/record-fetch.ts)
  netRecordRequest: 'cc/net/record-request',
  netRecordResponse: 'cc/net/record-response',
  // net: a patient's records at one hospital, for a doctor under break-glass (src/lib/net/emergency-list.ts)
  netEmergencyListRequest: 'cc/net/emergency-list-request',
  netEmergencyList: 'cc/net/emergency-list',
  // light: verified answers cached on the device (src/lib/light/answer-cache.ts)
  lightAnswer: 'cc/light/answer',
  lightRecord: 'cc/light/record',
  lightEmergency: 'cc/light/emergency',
  // chain: group-committed mirror attestations (src/lib/core/chain/tx/attestation.ts)
  attestationBatch: 'cc/attestation-batch',
  attestationRoot: 'cc/attestation-root',
  attestationLeaf: 'cc/attestation-leaf'
} as const;

export type TypeTag = (typeof TAGS)[keyof typeof TAGS];

/** Chain limits (src/lib/core/chain). */
export const CHAIN_LIMITS = {
  /** Mirror attestations per record: 2 are required; 16 covers any realistic mirror count per hospital. */
  maxAttestations: 16,
  /** Mirrors that must attest a blob before its record may be written (the mission: "at least 2"). */
  minAttestations: 2,
  /** Entries in one index batch: ~10k records/day/hospital batched every few seconds stays far below. */
  maxIndexEntries: 1024,
  /** Entries per page of a paged state list (index tags, break-glass log): one page + proof stays < 8 KiB. */
  pageEntries: 32,
  /** Pages per list: 32 x 4096 = 131,072 records per (patient, category) — a lifetime with room to spare. */
  maxPages: 4096,
  /** Write commitments per grant: one per ICD-10 chapter at most. */
  maxWriteCommits: 32,
  /**
   * Unrevoked, unexpired grants one patient may hold at once (rules/grant-lists.ts): a doctor at
   * every visit of a long illness, with room to spare; the list and its proof stay under 8 KiB.
   */
  maxPatientGrants: 64,
  /**
   * Of those, live grants to one doctor: a new code at every visit of a month under year-long grants,
   * with room to spare. It is what bounds what a few accounts can do to a doctor's list (below): filling
   * all of its buckets takes 256 accounts, each approved by a majority of the managers.
   */
  maxGrantsPerDoctor: 16,
  /**
   * A doctor's grant list is split in this many buckets by grant id, each one state value of at most
   * maxDoctorBucketGrants (~100 bytes each: 13 KiB, under the 16 KiB a state proof serves). Together
   * 4,096 live grants; by chance a bucket fills first, from about 3,300 — a doctor seeing 30 new
   * patients a day under 90-day grants holds 2,700.
   */
  doctorGrantBuckets: 32,
  maxDoctorBucketGrants: 128,
  /** Validators/authorities per set: a hospital's doctor nodes and servers, or the consortium's hospitals. */
  maxValidators: 256,
  /** Longest break-glass access: a day, after which the doctor needs a real grant. */
  maxBreakGlassMs: 24 * 60 * 60 * 1000
} as const;

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

/** Record limits (src/lib/core/records): bounds on the FHIR subset a record bundle may hold. */
export const RECORD_LIMITS = {
  /** Resources in one bundle: a visit is a handful; 128 leaves room for a full lab panel. */
  maxBundleEntries: 128,
  /** Codings per concept, names/identifiers per resource: real data carries one to three. */
  maxCodings: 8,
  /** Free text a clinician writes (notes, dosage): a paragraph, not a document. */
  maxNoteChars: 4096,
  /** Notes, dosage lines, reactions per resource. */
  maxNotes: 16
} as const;

/** Account limits (src/lib/core/accounts). */
export const ACCOUNT_LIMITS = {
  /** Patient pseudonym: 128 random bits cannot collide among billions of patients and cannot be guessed. */
  pseudonymBytes: 16,
  /** Managers: the Shamir library's 255-share ceiling; any real council is far smaller. */
  maxManagers: 255,
  /** Names, specialities and degrees on a public profile: one human line. */
  maxProfileChars: 128
} as const;
