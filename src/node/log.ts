/**
 * Structured logs: one JSON object per line on stderr ({time, level, node, msg, ...fields}), which
 * journald, Docker and any log shipper ingest as is. Twenty lines do what we need, so no logger
 * dependency; stdout stays free for command output (`carechain status`, `carechain keys`).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type Sink = (line: string) => void;

const stderrSink: Sink = (line) => process.stderr.write(line + '\n');

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value instanceof Error)
    return { name: value.name, message: value.message, ...(value as unknown as Record<string, unknown>) };
  return value;
}

export function createLogger(
  bindings: Record<string, unknown> = {},
  level: Level = (process.env.CARECHAIN_LOG as Level | undefined) ?? 'info',
  sink: Sink = stderrSink
): Logger {
  const min = RANK[level] ?? RANK.info;
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    sink(
      JSON.stringify({ time: new Date().toISOString(), level: lvl, ...bindings, msg, ...fields }, replacer)
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (b) => createLogger({ ...bindings, ...b }, level, sink)
  };
}
