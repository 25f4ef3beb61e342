/**
 * Prometheus text exposition (format 0.0.4) for the handful of series a node exports: gauges read at
 * scrape time and one histogram kind. Small enough that a client library would be more code to wire
 * than this is to read.
 */

/** Commit latency buckets in ms: from one fast local round to a stalled multi-round commit. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 200, 300, 500, 1000, 2500, 5000, 10000];

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  /** Last observations, for percentiles in /health and the bench (bounded ring). */
  private recent: number[] = [];
  private static readonly RECENT = 4096;

  constructor(readonly buckets: number[] = LATENCY_BUCKETS_MS) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(value: number) {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
    if (this.recent.length >= Histogram.RECENT) this.recent.shift();
    this.recent.push(value);
  }

  /** Percentile (0..100) over the recent window; NaN when empty. */
  percentile(p: number): number {
    if (this.recent.length === 0) return NaN;
    const s = [...this.recent].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  }
}

export type Labels = Record<string, string>;
export interface Sample {
  labels?: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  samples?: Sample[];
  histograms?: { labels?: Labels; h: Histogram }[];
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const fmtLabels = (l: Labels | undefined, extra?: [string, string]) => {
  const entries = Object.entries(l ?? {});
  if (extra) entries.push(extra);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}` : '';
};
const num = (n: number) =>
  Number.isFinite(n) ? String(n) : Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';

export function renderPrometheus(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples ?? []) out.push(`${f.name}${fmtLabels(s.labels)} ${num(s.value)}`);
    for (const { labels, h } of f.histograms ?? []) {
      h.buckets.forEach((b, i) =>
        out.push(`${f.name}_bucket${fmtLabels(labels, ['le', String(b)])} ${h.counts[i]}`)
      );
      out.push(`${f.name}_bucket${fmtLabels(labels, ['le', '+Inf'])} ${h.count}`);
      out.push(
        `${f.name}_sum${fmtLabels(labels)} ${num(h.sum)}`,
        `${f.name}_count${fmtLabels(labels)} ${h.count}`
      );
    }
  }
  return out.join('\n') + '\n';
}
