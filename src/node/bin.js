#!/usr/bin/env node
// The `carechain` executable: the node is TypeScript run through tsx, so hospital IT needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
