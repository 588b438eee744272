// `nautilus wal inspect <path>` and `nautilus wal verify <path>`: read-only looks at a WAL
// directory (or one segment file). Never modify it, so they are safe while a broker runs.
// Exit codes: 0 ok (a torn tail is reported, not an error: recovery cuts it), 1 corruption found
// (where is printed), 2 bad arguments or unreadable path.
import type { Command, CommanderError } from 'commander';
import { NautilusError } from '../errors.ts';
import {
  inspectWal,
  LOCK_FILE,
  WAL_ID_FILE,
  type WalInspection,
  type WalRepair,
} from '../wal/index.ts';

export interface WalCommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const stdio: WalCommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function range(first: number | null, last: number | null): string {
  return first === null || last === null ? '-' : `${first}..${last}`;
}

function tornTail(r: WalRepair): string {
  return `torn tail: ${r.segment}: ${r.bytesRemoved} bytes from byte ${r.offset} (line ${r.line}: ${r.reason}); not an error, recovery cuts it at the next start\n`;
}

/** Exit code for a failed inspection, after printing why. */
function failure(cmd: string, err: unknown, io: WalCommandIo): number {
  if (!(err instanceof NautilusError)) throw err;
  io.err(`nautilus wal ${cmd}: [${err.code}] ${err.message}\n`);
  return err.code === 'NAU_WAL_UNREADABLE' ? 2 : 1;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))))
    .map((r) => `${r.join('  ').trimEnd()}\n`)
    .join('');
}

function render(w: WalInspection, allSessions: boolean): string {
  const { scan } = w;
  let out = `WAL ${w.path}\n`;
  if (w.lock !== null)
    out += `lock: held by pid ${w.lock.pid} on ${w.lock.host} (if that process is gone, the lock is stale)\n`;
  const rows = [['segment', 'LSNs', 'records', 'lines', 'bytes', 'sessions']];
  for (const s of w.segments) {
    rows.push([
      s.name,
      range(s.firstLsn, s.lastLsn),
      String(s.records),
      String(s.lines),
      size(s.bytes),
      String(s.sessions),
    ]);
  }
  out += table(rows);
  out += `total: ${scan.segments.length} segment(s), ${scan.recordCount} record(s), LSNs ${range(scan.firstLsn, scan.lastLsn)}, ${size(scan.bytes)}, next LSN ${scan.nextLsn}, ${w.sessions.length} session(s)\n`;
  for (const r of scan.repairs) out += tornTail(r);
  const fences = w.segments.reduce((n, s) => n + s.fences, 0);
  if (fences > 0) out += `fences: ${fences} (LSN ranges abandoned after an operator truncation)\n`;
  const others = scan.otherFiles.filter((f) => f !== LOCK_FILE && f !== WAL_ID_FILE);
  if (others.length > 0) out += `other files: ${others.join(', ')}\n`;
  if (w.sessions.length > 0) {
    const shown = allSessions ? w.sessions : w.sessions.slice(0, 20);
    const srows = [['session', 'records', 'LSNs', 'last ts']];
    for (const s of shown) {
      srows.push([
        s.sid,
        String(s.records),
        `${s.firstLsn}..${s.lastLsn}`,
        new Date(s.lastTs).toISOString(),
      ]);
    }
    out += `\n${table(srows)}`;
    if (shown.length < w.sessions.length) {
      out += `... ${w.sessions.length - shown.length} more (--all-sessions lists every one)\n`;
    }
  }
  return out;
}

export async function walInspectCommand(
  path: string,
  options: { readonly json?: boolean; readonly allSessions?: boolean },
  io: WalCommandIo = stdio,
): Promise<number> {
  let w: WalInspection;
  try {
    w = await inspectWal(path);
  } catch (err) {
    return failure('inspect', err, io);
  }
  if (options.json === true) {
    const { readRecords: _omit, ...scan } = w.scan;
    io.out(
      `${JSON.stringify({ path: w.path, lock: w.lock, ...scan, segments: w.segments, sessions: w.sessions }, null, 2)}\n`,
    );
  } else {
    io.out(render(w, options.allSessions === true));
  }
  return 0;
}

export async function walVerifyCommand(path: string, io: WalCommandIo = stdio): Promise<number> {
  let w: WalInspection;
  try {
    w = await inspectWal(path, { records: false });
  } catch (err) {
    return failure('verify', err, io);
  }
  const { scan } = w;
  for (const r of scan.repairs) io.out(tornTail(r));
  io.out(
    `ok: ${scan.segments.length} segment(s), ${scan.recordCount} record(s), LSNs ${range(scan.firstLsn, scan.lastLsn)}, ${size(scan.bytes)}; every line's CRC, format and LSN order checked\n`,
  );
  return 0;
}

export function registerWalCommand(program: Command): void {
  const usage = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);
  const wal = program
    .command('wal')
    .description('write-ahead log tools (read-only)')
    .exitOverride(usage);
  wal
    .command('inspect')
    .description('segments, LSN ranges, sizes and sessions of a WAL directory or segment file')
    .argument('<path>', 'WAL directory (persistence.wal_path) or one wal-*.jsonl segment')
    .option('--json', 'machine-readable output')
    .option('--all-sessions', 'list every session, not the first 20')
    .exitOverride(usage)
    .action(async (path: string, opts: { json?: boolean; allSessions?: boolean }) => {
      process.exitCode = await walInspectCommand(path, opts);
    });
  wal
    .command('verify')
    .description('check every line of a WAL: exit 1 on corruption (saying where), 2 if unreadable')
    .argument('<path>', 'WAL directory (persistence.wal_path) or one wal-*.jsonl segment')
    .exitOverride(usage)
    .action(async (path: string) => {
      process.exitCode = await walVerifyCommand(path);
    });
}
