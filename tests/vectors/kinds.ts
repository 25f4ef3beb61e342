/**
 * Vector kinds for modules beyond encoding and crypto (grants, envelopes, proofs). Kept apart from
 * runner.ts so each module's kinds can be added without touching the dispatcher.
 */
export const extraKinds: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {};
