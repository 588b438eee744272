// `--log-format pretty`: turns one pino JSON line into `time LEVEL msg key=value ...`, for a
// terminal. Values are printed as JSON when they contain spaces or quotes, so a line stays
// unambiguous to read back.

const OMIT = new Set(['time', 'level', 'msg', 'pid', 'hostname']);

export function formatPrettyLine(jsonLine: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const level = String(o.level ?? 'info').toUpperCase();
  const parts = [String(o.time ?? ''), level.padEnd(5), String(o.msg ?? '')];
  for (const [k, v] of Object.entries(o)) {
    if (OMIT.has(k) || v === undefined) continue;
    parts.push(`${k}=${show(v)}`);
  }
  return `${parts.filter((p) => p !== '').join(' ')}\n`;
}

function show(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}
