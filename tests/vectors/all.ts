/** Every vector file, imported statically so the browser bundle carries them too. */
import encoding from './encoding.json' with { type: 'json' };
import crypto from './crypto.json' with { type: 'json' };
import tags from './tags.json' with { type: 'json' };
import state from './state.json' with { type: 'json' };
import records from './records.json' with { type: 'json' };
import consent from './consent.json' with { type: 'json' };
import accounts from './accounts.json' with { type: 'json' };
import type { VectorFile } from './runner.js';

export const VECTOR_FILES: Record<string, VectorFile> = {
  encoding,
  crypto,
  tags,
  state,
  records,
  consent,
  accounts
};
