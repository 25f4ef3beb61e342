/**
 * Plain-language sentences, in English and Bangla, for every named error the app can meet: each
 * CoreError code (src/lib/core/errors.ts) and each verification failure the light client names. The
 * unit test fails when a code in ERROR_CODES has no sentence here, so a new code gets words before it
 * reaches a screen; until then the group sentence (by prefix) stands in.
 */
import { ERROR_CODES } from '../core/errors.js';

type Sentence = readonly [en: string, bn: string];

/** Verification failures the light client reports; the UI shows them as alarms, not as mere errors. */
export const LIGHT_ERROR_CODES = [
  'light/record-altered',
  'light/index-mismatch',
  'light/header-unsigned',
  'light/proof-invalid',
  'light/withheld',
  'light/stale'
] as const;
export type LightErrorCode = (typeof LIGHT_ERROR_CODES)[number];

const TRY_AGAIN: Sentence = [
  'Try again; if it keeps happening, tell the hospital.',
  'আবার চেষ্টা করুন; বারবার হলে হাসপাতালকে জানান।'
];

export const MESSAGES: Record<string, Sentence> = {
  // light client: what verification found
  'light/record-altered': [
    'ALARM: this record was changed after it was written. Its contents do not match the fingerprint stored on the chains. Do not rely on it.',
    'সতর্কতা: লেখার পরে এই রেকর্ডটি বদলানো হয়েছে। এর বিষয়বস্তু চেইনে রাখা আঙুলছাপের সাথে মেলে না। এর উপর নির্ভর করবেন না।'
  ],
  'light/index-mismatch': [
    'ALARM: the hospital’s chain and the shared index disagree about this record. The hospital may have rewritten its history.',
    'সতর্কতা: এই রেকর্ড নিয়ে হাসপাতালের চেইন আর যৌথ সূচি একমত নয়। হাসপাতাল হয়তো তার ইতিহাস বদলেছে।'
  ],
  'light/header-unsigned': [
    'A block was not signed by more than two thirds of its validators, so it was not accepted.',
    'একটি ব্লকে তার যাচাইকারীদের দুই-তৃতীয়াংশের বেশি স্বাক্ষর করেননি, তাই এটি গ্রহণ করা হয়নি।'
  ],
  'light/proof-invalid': [
    'A node sent a proof that does not check out. Its answer was ignored.',
    'একটি নোড এমন প্রমাণ পাঠিয়েছে যা মেলে না। তার উত্তর উপেক্ষা করা হয়েছে।'
  ],
  'light/withheld': [
    'A hospital node did not hand over data it should have. Another node will be asked.',
    'একটি হাসপাতালের নোড যে তথ্য দেওয়ার কথা তা দেয়নি। অন্য নোডের কাছে চাওয়া হবে।'
  ],
  'light/stale': [
    'The data shown may be out of date: the newest blocks could not be fetched.',
    'দেখানো তথ্য পুরনো হতে পারে: সবচেয়ে নতুন ব্লকগুলো আনা যায়নি।'
  ],
  // encoding
  'decode/malformed': [
    'The data received is damaged and cannot be read.',
    'প্রাপ্ত তথ্য ক্ষতিগ্রস্ত, পড়া যাচ্ছে না।'
  ],
  'decode/too-large': ['The data is larger than allowed.', 'তথ্যটি অনুমোদিত আকারের চেয়ে বড়।'],
  'decode/non-canonical': [
    'The data is written in an unexpected form and was refused.',
    'তথ্যটি অপ্রত্যাশিত রূপে লেখা, তাই গ্রহণ করা হয়নি।'
  ],
  'decode/schema': ['The data does not have the expected fields.', 'তথ্যে প্রত্যাশিত অংশগুলো নেই।'],
  'decode/unknown-type': ['This kind of data is not known to this app.', 'এই ধরনের তথ্য এই অ্যাপের অজানা।'],
  'decode/unknown-version': [
    'The data comes from a different version of carechain. Update the app.',
    'তথ্যটি কেয়ারচেইনের অন্য সংস্করণের। অ্যাপটি হালনাগাদ করুন।'
  ],
  // crypto
  'crypto/bad-signature': [
    'A signature does not match: the data is not what its author signed.',
    'একটি স্বাক্ষর মেলেনি: লেখক যা স্বাক্ষর করেছিলেন তথ্যটি তা নয়।'
  ],
  'crypto/bad-key': ['A key is not valid.', 'একটি চাবি সঠিক নয়।'],
  'crypto/decrypt-failed': [
    'The data could not be decrypted: the key is wrong or the data was altered.',
    'তথ্যটি ডিক্রিপ্ট করা যায়নি: চাবি ভুল বা তথ্য বদলানো হয়েছে।'
  ],
  'crypto/bad-share': [
    'A recovery share is damaged or does not fit the others.',
    'পুনরুদ্ধারের একটি অংশ ক্ষতিগ্রস্ত বা বাকিগুলোর সাথে মেলে না।'
  ],
  // records
  'record/invalid-fhir': ['The record is not a valid medical record.', 'রেকর্ডটি বৈধ চিকিৎসা রেকর্ড নয়।'],
  'record/unknown-category': ['The record category is not known.', 'রেকর্ডের বিভাগটি অজানা।'],
  'record/hash-mismatch': [
    'ALARM: the record does not match the fingerprint it was published with. It may have been altered.',
    'সতর্কতা: রেকর্ডটি প্রকাশের সময়কার আঙুলছাপের সাথে মেলে না। এটি হয়তো বদলানো হয়েছে।'
  ],
  'record/no-key': ['You do not hold a key that opens this record.', 'এই রেকর্ড খোলার চাবি আপনার কাছে নেই।'],
  'record/category-mismatch': [
    'The diagnosis code belongs to another category. Choose that category, or check the code.',
    'রোগনির্ণয়ের কোডটি অন্য বিভাগের। সেই বিভাগটি বেছে নিন, অথবা কোডটি আবার দেখুন।'
  ],
  // consent
  'consent/bad-signature': [
    'This access code was not signed by the patient.',
    'এই অনুমতির কোডে রোগীর স্বাক্ষর নেই।'
  ],
  'consent/expired': [
    'This access has expired. Ask the patient for a new code.',
    'এই অনুমতির মেয়াদ শেষ। রোগীর কাছে নতুন কোড চান।'
  ],
  'consent/not-yet-valid': ['This access has not started yet.', 'এই অনুমতি এখনও শুরু হয়নি।'],
  'consent/wrong-doctor': [
    'This access code was made for a different doctor.',
    'এই অনুমতির কোড অন্য একজন ডাক্তারের জন্য তৈরি।'
  ],
  'consent/out-of-scope': [
    'The patient’s permission does not cover this kind of record or action.',
    'রোগীর অনুমতি এই ধরনের রেকর্ড বা কাজ অন্তর্ভুক্ত করে না।'
  ],
  'consent/revoked': ['The patient has withdrawn this access.', 'রোগী এই অনুমতি প্রত্যাহার করেছেন।'],
  'consent/replayed': ['This access code was already used.', 'এই অনুমতির কোড আগেই ব্যবহার করা হয়েছে।'],
  'consent/malformed': ['This is not a valid carechain access code.', 'এটি বৈধ কেয়ারচেইন অনুমতির কোড নয়।'],
  'consent/too-many-grants': [
    'You have given access to as many doctors as an account may hold at once. Revoke one you no longer need, then try again.',
    'একটি অ্যাকাউন্ট একসাথে যতজন ডাক্তারকে অনুমতি দিতে পারে, আপনি ততজনকেই দিয়েছেন। যার আর দরকার নেই তার অনুমতি প্রত্যাহার করে আবার চেষ্টা করুন।'
  ],
  'consent/too-many-grants-to-doctor': [
    'This doctor already holds as many of your access codes that are still valid as one account may give one doctor. Revoke the ones you no longer need (in “Who has access”), then try again.',
    'একজন ডাক্তারকে একটি অ্যাকাউন্ট যতগুলো বৈধ অনুমতির কোড দিতে পারে, এই ডাক্তারের কাছে আপনার ততগুলোই আছে। যেগুলোর আর দরকার নেই সেগুলো প্রত্যাহার করুন (“কার অনুমতি আছে” অংশে), তারপর আবার চেষ্টা করুন।'
  ],
  'consent/doctor-too-many-grants': [
    'This doctor already has access for as many patients as one account may hold. Choose another doctor, or ask this one to have an old access withdrawn.',
    'এই ডাক্তার একটি অ্যাকাউন্টে যতজন রোগীর অনুমতি রাখতে পারেন, ততজনেরই অনুমতি পেয়েছেন। অন্য ডাক্তার বেছে নিন, অথবা পুরনো কোনো অনুমতি প্রত্যাহার করতে বলুন।'
  ],
  'consent/too-large': [
    'The access code is too long for one QR code.',
    'অনুমতির কোডটি একটি QR কোডের জন্য খুব লম্বা।'
  ],
  // accounts
  'account/unknown': ['This account is not registered yet.', 'এই অ্যাকাউন্টটি এখনও নিবন্ধিত নয়।'],
  'account/revoked': [
    'These keys were replaced by a recovery and no longer work.',
    'পুনরুদ্ধারের মাধ্যমে এই চাবিগুলো বদলানো হয়েছে, এগুলো আর কাজ করে না।'
  ],
  'account/wrong-role': ['Your account type cannot do this.', 'আপনার অ্যাকাউন্টের ধরন দিয়ে এটি করা যায় না।'],
  'account/not-majority': ['Not enough managers have approved yet.', 'এখনও যথেষ্ট ব্যবস্থাপক অনুমোদন করেননি।'],
  'account/not-manager': [
    'An approval did not come from a system manager.',
    'একটি অনুমোদন সিস্টেম ব্যবস্থাপকের কাছ থেকে আসেনি।'
  ],
  'account/duplicate-approval': ['You have already approved this.', 'আপনি এটি আগেই অনুমোদন করেছেন।'],
  'account/exists': ['This account is already registered.', 'এই অ্যাকাউন্টটি আগেই নিবন্ধিত।'],
  'account/bad-rank': ['That rank does not exist.', 'এই পদমর্যাদা নেই।'],
  'account/wrong-subject': ['The approval is for a different request.', 'অনুমোদনটি অন্য একটি অনুরোধের জন্য।'],
  'account/too-few-managers': [
    'There are too few system managers for this.',
    'এর জন্য সিস্টেম ব্যবস্থাপক খুব কম।'
  ],
  'account/same-key': [
    'The new keys must differ from the old ones.',
    'নতুন চাবি পুরনো চাবি থেকে আলাদা হতে হবে।'
  ],
  // proofs
  'proof/invalid': ['A proof from a node does not check out.', 'একটি নোডের প্রমাণ মেলে না।'],
  'proof/wrong-key': ['A node answered about the wrong item.', 'একটি নোড ভুল বিষয়ে উত্তর দিয়েছে।'],
  // chain
  'chain/wrong-parent': ['A block does not follow the chain.', 'একটি ব্লক চেইনের ধারাবাহিকতায় নেই।'],
  'chain/wrong-height': ['A block is out of order.', 'একটি ব্লক ক্রমের বাইরে।'],
  'chain/wrong-state-root': ['A block’s contents do not add up.', 'একটি ব্লকের বিষয়বস্তু মেলে না।'],
  'chain/wrong-tx-root': [
    'A block’s list of actions does not match its header.',
    'একটি ব্লকের কাজের তালিকা তার হেডারের সাথে মেলে না।'
  ],
  'chain/wrong-validators': ['A block names the wrong set of validators.', 'একটি ব্লকে ভুল যাচাইকারী দল লেখা।'],
  'chain/bad-commit': [
    'A block is not signed by more than two thirds of its validators.',
    'একটি ব্লকে যাচাইকারীদের দুই-তৃতীয়াংশের বেশি স্বাক্ষর নেই।'
  ],
  'chain/bad-proposer': [
    'A block came from a validator whose turn it was not.',
    'একটি ব্লক এমন যাচাইকারীর কাছ থেকে এসেছে যার পালা ছিল না।'
  ],
  'chain/too-many-txs': ['A block holds too many actions.', 'একটি ব্লকে খুব বেশি কাজ আছে।'],
  'chain/replayed-tx': ['This action was already recorded.', 'এই কাজটি আগেই লিপিবদ্ধ হয়েছে।'],
  'chain/not-registered': ['The author is not registered for this.', 'লেখক এর জন্য নিবন্ধিত নন।'],
  'chain/low-stake': ['The doctor’s rank is too low to do this.', 'এটি করার জন্য ডাক্তারের পদমর্যাদা খুব কম।'],
  'chain/few-mirrors': [
    'The record is not yet stored on enough machines.',
    'রেকর্ডটি এখনও যথেষ্ট মেশিনে রাখা হয়নি।'
  ],
  'chain/bad-attestation': ['A storage machine’s receipt is not valid.', 'একটি সংরক্ষণ মেশিনের রসিদ বৈধ নয়।'],
  'chain/not-authority': [
    'The block did not come from a member hospital.',
    'ব্লকটি কোনো সদস্য হাসপাতাল থেকে আসেনি।'
  ],
  'chain/bad-evidence': ['The report of misbehaviour is not valid.', 'অসদাচরণের অভিযোগটি বৈধ নয়।'],
  'chain/unknown-record': ['The record does not exist.', 'রেকর্ডটি নেই।'],
  'chain/bad-tx': ['The network refused this action.', 'নেটওয়ার্ক এই কাজটি গ্রহণ করেনি।'],
  'chain/wrong-time': ['A block carries an impossible time.', 'একটি ব্লকে অসম্ভব সময় লেখা।'],
  'chain/wrong-chain': ['The data belongs to a different chain.', 'তথ্যটি অন্য একটি চেইনের।'],
  'chain/unknown-hospital': ['That hospital is not part of carechain.', 'ওই হাসপাতালটি কেয়ারচেইনের অংশ নয়।'],
  'chain/no-grant': ['The patient has not given permission for this.', 'রোগী এর জন্য অনুমতি দেননি।'],
  'chain/bad-checkpoint': [
    'ALARM: a hospital’s chain contradicts the checkpoint the other hospitals hold.',
    'সতর্কতা: একটি হাসপাতালের চেইন অন্য হাসপাতালগুলোর চেকপয়েন্টের বিপরীত।'
  ],
  'chain/unknown-tx': ['The action is not known to the network.', 'কাজটি নেটওয়ার্কের অজানা।'],
  'chain/list-full': ['A list on the chain is full.', 'চেইনের একটি তালিকা পূর্ণ।'],
  // state
  'state/bad-key': ['A lookup key is not valid.', 'একটি খোঁজার চাবি বৈধ নয়।'],
  'state/bad-namespace': ['A lookup is not valid.', 'একটি খোঁজ বৈধ নয়।'],
  'state/bad-index': ['A position in a block is out of range.', 'ব্লকের একটি অবস্থান সীমার বাইরে।'],
  // network
  'net/frame-too-large': ['A node sent too much data at once.', 'একটি নোড একসাথে খুব বেশি তথ্য পাঠিয়েছে।'],
  'net/bad-length-prefix': ['A node sent damaged data.', 'একটি নোড ক্ষতিগ্রস্ত তথ্য পাঠিয়েছে।'],
  'net/truncated': ['The connection broke in the middle of a message.', 'বার্তার মাঝখানে সংযোগ ভেঙে গেছে।'],
  'net/too-many-frames': ['A node sent too many messages.', 'একটি নোড খুব বেশি বার্তা পাঠিয়েছে।'],
  'net/timeout': ['A node took too long to answer.', 'একটি নোড উত্তর দিতে খুব দেরি করেছে।'],
  'net/stream-reset': ['The connection was interrupted.', 'সংযোগ বিঘ্নিত হয়েছে।'],
  'net/no-response': ['No node answered.', 'কোনো নোড উত্তর দেয়নি।'],
  'net/rate-limited': ['Too many requests; wait a moment.', 'খুব বেশি অনুরোধ; একটু অপেক্ষা করুন।'],
  'net/too-many-streams': [
    'Too many requests at once; wait a moment.',
    'একসাথে খুব বেশি অনুরোধ; একটু অপেক্ষা করুন।'
  ],
  'net/remote-error': ['A node reported an error.', 'একটি নোড একটি ত্রুটি জানিয়েছে।'],
  'net/internal': [
    'Something failed inside the network connection.',
    'নেটওয়ার্ক সংযোগের ভেতরে কিছু ব্যর্থ হয়েছে।'
  ],
  'net/bad-request': ['The request was not understood.', 'অনুরোধটি বোঝা যায়নি।'],
  // hospital node
  'node/bad-config': ['A hospital node is misconfigured.', 'একটি হাসপাতালের নোড ভুলভাবে সাজানো।'],
  'node/bad-keyfile': [
    'A hospital node cannot read its keys.',
    'একটি হাসপাতালের নোড তার চাবি পড়তে পারছে না।'
  ],
  'node/port-in-use': [
    'A hospital node cannot start: a port it needs is taken.',
    'একটি হাসপাতালের নোড চালু হতে পারছে না: তার প্রয়োজনীয় একটি পোর্ট অন্য কিছু ব্যবহার করছে।'
  ],
  'node/storage-corrupt': ['A hospital node’s storage is damaged.', 'একটি হাসপাতালের নোডের সংরক্ষণ ক্ষতিগ্রস্ত।'],
  'node/disk-full': [
    'A hospital node has run out of disk space; another node will be used.',
    'একটি হাসপাতালের নোডের ডিস্কে আর জায়গা নেই; অন্য একটি নোড ব্যবহার করা হবে।'
  ],
  'node/storage-failed': [
    'A hospital node could not use its disk; it stopped.',
    'একটি হাসপাতালের নোড তার ডিস্ক ব্যবহার করতে পারেনি; এটি বন্ধ হয়ে গেছে।'
  ],
  'node/mempool-full': [
    'The hospital is busy; your action will be retried.',
    'হাসপাতাল ব্যস্ত; আপনার কাজ আবার চেষ্টা করা হবে।'
  ],
  'node/rate-limited': ['Too many requests; wait a moment.', 'খুব বেশি অনুরোধ; একটু অপেক্ষা করুন।'],
  'node/duplicate-tx': ['The network already has this action.', 'নেটওয়ার্কে এই কাজটি আগেই আছে।'],
  'node/break-glass-unknown': [
    'This emergency access statement is not on the shared chain yet, so the record cannot be opened with it.',
    'এই জরুরি প্রবেশের বিবৃতিটি এখনও যৌথ চেইনে নেই, তাই এটি দিয়ে রেকর্ডটি খোলা যাবে না।'
  ],
  'node/blob-missing': ['The record’s stored copy could not be found.', 'রেকর্ডের সংরক্ষিত কপি পাওয়া যায়নি।'],
  'node/few-mirrors': [
    'Too few storage machines are available right now.',
    'এখন খুব কম সংরক্ষণ মেশিন পাওয়া যাচ্ছে।'
  ],
  'node/timeout': ['The hospital took too long to answer.', 'হাসপাতাল উত্তর দিতে খুব দেরি করেছে।'],
  'light/no-peers': [
    'No hospital node could be reached, or every node reached answered wrongly. Check your connection and try again.',
    'কোনো হাসপাতালের নোডে পৌঁছানো যায়নি, অথবা যেগুলোতে পৌঁছানো গেছে সেগুলো ভুল উত্তর দিয়েছে। সংযোগ দেখে আবার চেষ্টা করুন।'
  ],
  'node/no-grant': [
    'The hospital refused: the patient has not given you access to this.',
    'হাসপাতাল প্রত্যাখ্যান করেছে: রোগী আপনাকে এর অনুমতি দেননি।'
  ],
  'node/stale-request': [
    'The hospital refused the request’s time: check that this device’s clock is right, then try again.',
    'হাসপাতাল অনুরোধের সময় গ্রহণ করেনি: এই ডিভাইসের ঘড়ি ঠিক আছে কিনা দেখে আবার চেষ্টা করুন।'
  ],
  'node/not-permitted': [
    'The hospital does not allow you to do this.',
    'হাসপাতাল আপনাকে এটি করার অনুমতি দেয় না।'
  ],
  // consensus
  'consensus/wrong-chain': ['A vote belongs to a different chain.', 'একটি ভোট অন্য একটি চেইনের।'],
  'consensus/not-validator': [
    'A vote came from someone who is not a validator.',
    'একটি ভোট এমন কারও কাছ থেকে এসেছে যিনি যাচাইকারী নন।'
  ],
  'consensus/round-too-far': ['A vote is for a round too far ahead.', 'একটি ভোট অনেক পরের রাউন্ডের।'],
  'consensus/bad-block-id': ['A vote names a block that does not exist.', 'একটি ভোটে এমন ব্লকের নাম যা নেই।'],
  // client (this app)
  'client/no-account': ['There is no account on this device.', 'এই ডিভাইসে কোনো অ্যাকাউন্ট নেই।'],
  'client/locked': [
    'Unlock your account with your passphrase first.',
    'প্রথমে পাসফ্রেজ দিয়ে আপনার অ্যাকাউন্ট খুলুন।'
  ],
  'client/wrong-passphrase': ['That passphrase is not right.', 'পাসফ্রেজটি সঠিক নয়।'],
  'client/weak-passphrase': ['The passphrase is too short.', 'পাসফ্রেজটি খুব ছোট।'],
  'client/bad-backup': ['This file is not a carechain backup.', 'এই ফাইলটি কেয়ারচেইন ব্যাকআপ নয়।'],
  'node/mailbox-full': [
    'Too many requests are waiting for the managers right now. Your request is kept here and sent again later.',
    'এই মুহূর্তে ব্যবস্থাপকদের অনুমোদনের অপেক্ষায় অনেক অনুরোধ আছে। আপনার অনুরোধটি এখানে রাখা আছে, পরে আবার পাঠানো হবে।'
  ],
  'client/not-connected': [
    'The app is not connected to the carechain network yet.',
    'অ্যাপটি এখনও কেয়ারচেইন নেটওয়ার্কে যুক্ত হয়নি।'
  ],
  'client/camera-unavailable': [
    'The camera could not be opened. Allow camera access, or paste or upload the code instead.',
    'ক্যামেরা খোলা যায়নি। ক্যামেরার অনুমতি দিন, অথবা কোডটি পেস্ট বা আপলোড করুন।'
  ],
  'client/qr-not-found': ['No QR code could be read from the picture.', 'ছবি থেকে কোনো QR কোড পড়া যায়নি।']
};

/** Group sentences for a code this table does not know yet (a newer module's code). */
const GROUPS: Record<string, Sentence> = {
  decode: ['The data received could not be read.', 'প্রাপ্ত তথ্য পড়া যায়নি।'],
  crypto: ['A cryptographic check failed.', 'একটি ক্রিপ্টোগ্রাফিক যাচাই ব্যর্থ হয়েছে।'],
  record: ['There is a problem with this record.', 'এই রেকর্ডে একটি সমস্যা আছে।'],
  consent: ['There is a problem with this access permission.', 'এই অনুমতিতে একটি সমস্যা আছে।'],
  account: ['There is a problem with the account.', 'অ্যাকাউন্টে একটি সমস্যা আছে।'],
  chain: ['The network refused this.', 'নেটওয়ার্ক এটি গ্রহণ করেনি।'],
  consensus: ['The hospitals could not agree on a block.', 'হাসপাতালগুলো একটি ব্লকে একমত হতে পারেনি।'],
  state: ['A lookup on the chain failed.', 'চেইনে একটি খোঁজ ব্যর্থ হয়েছে।'],
  light: ['Verification on this device failed.', 'এই ডিভাইসে যাচাই ব্যর্থ হয়েছে।'],
  client: ['Something failed on this device.', 'এই ডিভাইসে কিছু ব্যর্থ হয়েছে।'],
  net: ['The connection to the network failed.', 'নেটওয়ার্কের সাথে সংযোগ ব্যর্থ হয়েছে।'],
  node: ['A hospital node had a problem.', 'একটি হাসপাতালের নোডে সমস্যা হয়েছে।']
};

const ALARMS = new Set([
  'light/record-altered',
  'light/index-mismatch',
  'record/hash-mismatch',
  'chain/bad-checkpoint'
]);

export interface Explained {
  code: string;
  text: Sentence;
  /** An alarm means evidence of tampering, shown louder than an ordinary error. */
  alarm: boolean;
  /** What the user can do next. */
  next: Sentence;
}

export function explainCode(code: string): Explained {
  const group = code.split('/')[0] ?? '';
  const known = MESSAGES[code];
  const text: Sentence =
    known ??
    GROUPS[group] ??
    ([
      (ERROR_CODES as Record<string, string>)[code] ?? 'Something went wrong.',
      'কিছু একটা ভুল হয়েছে।'
    ] as const);
  return { code, text, alarm: ALARMS.has(code), next: TRY_AGAIN };
}

/** Maps anything thrown to a plain explanation: a CoreError (or any object with a `code`) or else a generic one. */
export function explain(error: unknown): Explained {
  const code =
    error &&
    typeof error === 'object' &&
    'code' in error &&
    typeof (error as { code: unknown }).code === 'string'
      ? (error as { code: string }).code
      : 'unknown';
  if (code === 'unknown') {
    const message = error instanceof Error ? error.message : String(error);
    return { code, text: [message, message], alarm: false, next: TRY_AGAIN };
  }
  return explainCode(code);
}
