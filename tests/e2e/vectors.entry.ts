// Browser entry: the vector runner and every vector file, run inside Chromium.
import { VECTOR_FILES } from '../vectors/all.js';
import { runVectorFiles } from '../vectors/runner.js';

export const run = () => runVectorFiles(VECTOR_FILES);
