/**
 * Shared by the generators (Node only): fill in the outputs of valid cases from this implementation,
 * hold hand-stated expectations (the named error of every invalid case) to what it produces, and
 * write the JSON file.
 */
import { writeFileSync } from 'node:fs';
import { runCase, type VectorCase, type VectorFile } from './runner.js';

export function finish(description: string, cases: VectorCase[]): VectorFile {
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`vector name used twice: ${c.name}`);
    names.add(c.name);
    const got = runCase(c);
    if (Object.keys(c.expect).length === 0) {
      if ((got as { error?: string }).error)
        throw new Error(`vector ${c.name}: meant to be valid, got ${JSON.stringify(got)}`);
      c.expect = got as Record<string, unknown>;
    } else if (JSON.stringify(got) !== JSON.stringify(c.expect))
      throw new Error(`vector ${c.name}: expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(got)}`);
  }
  return { description, cases };
}

export function writeVectors(name: string, file: VectorFile): void {
  const path = new URL(`./${name}.json`, import.meta.url);
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
  console.log(`wrote ${path.pathname}: ${file.cases.length} cases`);
}
