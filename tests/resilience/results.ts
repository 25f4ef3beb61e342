/**
 * Scenario figures, appended as JSON lines to the file the suite's config names; the summary reporter
 * (summary-reporter.ts) reads them after the last file. One line per figure set, so a scenario that
 * fails half way still reports what it measured.
 */
import { appendFileSync } from 'node:fs';

export type Figure = number | string | boolean | null;

export function report(scenario: string, figures: Record<string, Figure>): void {
  const file = process.env.CARECHAIN_RESILIENCE_RESULTS;
  const line = JSON.stringify({ scenario, ...figures });
  process.stdout.write(`[resilience] ${line}\n`);
  if (file) appendFileSync(file, line + '\n');
}
