// Runs the app's real outbox over real IndexedDB inside Chromium (bundled by esbuild for the test).
export { Outbox } from '../../src/lib/client/outbox.js';
export { openCarechainDb } from '../../src/lib/client/db.js';
export { CoreError } from '../../src/lib/core/errors.js';
