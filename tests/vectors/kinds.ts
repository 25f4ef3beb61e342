/**
 * Vector kinds for modules beyond encoding and crypto (grants, envelopes, proofs). Kept apart from
 * runner.ts so each module's kinds can be added without touching the dispatcher.
 */
import { stateKinds } from './state-kinds.js';
import { recordsKinds } from './records-kinds.js';
import { consentKinds } from './consent-kinds.js';
import { accountsKinds } from './accounts-kinds.js';

export const extraKinds: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
  ...stateKinds,
  ...recordsKinds,
  ...consentKinds,
  ...accountsKinds
};
