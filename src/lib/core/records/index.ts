/** Records: the FHIR record model, its encryption envelope, categories and secure index tags. */
export * from './categories.js';
export * from './index-tag.js';
export * from './icd10.js';
export { AMENDS_EXTENSION_URL, RESOURCE_TYPES } from './fhir-schema.js';
export * from './fhir.js';
export * from './canonical-json.js';
export * from './visit.js';
export * from './summary.js';
export * from './envelope.js';
