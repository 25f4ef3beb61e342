/**
 * `npm run bench -- <suite>`: runs one benchmark suite (tests/bench/<suite>.ts, which exports
 * `bench<Suite>()`) and prints its table and, as the last line, one JSON object. Not part of `npm test`.
 */
import '../../src/node/polyfills.js';
import { existsSync } from 'node:fs';
import { report } from './report.js';

const SUITES = ['core', 'consensus', 'node', 'light', 'app'];

const name = process.argv[2] ?? 'core';
const file = new URL(`./${name}.ts`, import.meta.url);
if (!SUITES.includes(name) || !existsSync(file)) {
  console.error(
    `unknown or unbuilt suite "${name}"; suites: ${SUITES.filter((s) => existsSync(new URL(`./${s}.ts`, import.meta.url))).join(', ')}`
  );
  process.exit(2);
}
const mod = (await import(file.href)) as Record<string, () => Promise<Record<string, number | string>>>;
const fn = mod[`bench${name[0]!.toUpperCase()}${name.slice(1)}`];
if (!fn) throw new Error(`${name}.ts does not export bench${name}`);
report(await fn());
