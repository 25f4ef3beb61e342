/**
 * Prints the suite's summary after the last file: a table of every figure the scenarios reported,
 * then, as the very last line, one JSON object with the headline figures the issue names. A figure a
 * scenario never reported (it failed before measuring, or was not run) is null, not a guess.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Reporter } from 'vitest/node';

type Row = { scenario: string } & Record<string, unknown>;

function rows(): Row[] {
  const file = process.env.CARECHAIN_RESILIENCE_RESULTS;
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row);
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function headline(all: Row[]) {
  const values = (key: string) => all.map((r) => num(r[key])).filter((x): x is number => x !== null);
  const sum = (key: string) => (values(key).length ? values(key).reduce((a, b) => a + b, 0) : null);
  const max = (key: string) => (values(key).length ? Math.max(...values(key)) : null);
  const attempted = sum('consent_attacks');
  const refused = sum('consent_refused');
  return {
    acked_records_lost: sum('acked_records_lost'),
    forks: sum('forks'),
    max_catchup_s: max('max_catchup_s'),
    p95_commit_ms_under_flood_ratio: max('p95_commit_ms_under_flood_ratio'),
    consent_attacks_refused_pct:
      attempted && refused !== null ? Math.round((refused / attempted) * 10000) / 100 : null
  };
}

export default class SummaryReporter implements Reporter {
  onTestRunStart() {
    const file = process.env.CARECHAIN_RESILIENCE_RESULTS;
    if (file) rmSync(file, { force: true });
  }

  onTestRunEnd() {
    const all = rows();
    const out: string[] = ['', 'resilience summary', ''];
    const width = Math.max(10, ...all.map((r) => r.scenario.length));
    out.push(`${'scenario'.padEnd(width)}  figure = value`);
    out.push(`${'-'.repeat(width)}  ${'-'.repeat(40)}`);
    for (const r of all)
      for (const [k, v] of Object.entries(r))
        if (k !== 'scenario') out.push(`${r.scenario.padEnd(width)}  ${k} = ${JSON.stringify(v)}`);
    out.push('');
    out.push(JSON.stringify(headline(all)));
    process.stdout.write(out.join('\n') + '\n');
  }
}
