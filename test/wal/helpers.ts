// Shared pieces of the WAL tests: temp dirs, sample records, building a WAL with known line
// boundaries, reading everything back.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NautilusError } from '../../src/errors.ts';
import {
  type FaultFs,
  type WalAppendInput,
  type WalFs,
  type WalRecord,
  type WalScan,
  WalWriter,
  type WalWriterOptions,
} from '../../src/wal/index.ts';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'nautilus-wal-'));
}

/** A record shaped like a session exposure op. */
export function rec(n: number, sid = `sess-${n % 3}`): WalAppendInput {
  return {
    sid,
    rid: `req-${n}`,
    ts: 1_700_000_000_000 + n,
    ops: [
      {
        template: 'session_exposure',
        slots: {
          session_id: sid,
          request_id: `req-${n}`,
          source_id: `src-${n % 5}`,
          data_types: ['pii', 'email'],
          record_count: n,
        },
      },
    ],
  };
}

/** Appends batches of the given sizes, one group commit each (concurrent within a batch). */
export async function writeBatches(
  writer: WalWriter,
  sizes: readonly number[],
  start = 1,
): Promise<number[]> {
  const lsns: number[] = [];
  let n = start;
  for (const size of sizes) {
    const batch = Array.from({ length: size }, () => writer.append(rec(n++)));
    for (const r of await Promise.all(batch)) lsns.push(r.lsn);
  }
  return lsns;
}

export async function buildWal(
  dir: string,
  sizes: readonly number[],
  options: WalWriterOptions = {},
): Promise<void> {
  const writer = await WalWriter.open(dir, { minFreeBytes: 0, ...options });
  await writeBatches(writer, sizes);
  await writer.close();
}

export async function allRecords(scan: WalScan, afterLsn = 0): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  for await (const r of scan.readRecords({ afterLsn })) out.push(r);
  return out;
}

/** Byte offsets where each line of `buf` ends (just past its LF). */
export function lineEnds(buf: Buffer): number[] {
  const ends: number[] = [];
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) ends.push(i + 1);
  return ends;
}

export function isWalError(code: string, message?: RegExp) {
  return (err: unknown): boolean => {
    const e = err as NautilusError;
    if (e?.code !== code) throw err;
    if (message !== undefined && !message.test(e.message)) {
      throw new Error(`message ${JSON.stringify(e.message)} does not match ${message}`);
    }
    return true;
  };
}

export function faultOpts(fs: FaultFs | WalFs, extra: WalWriterOptions = {}): WalWriterOptions {
  return { fs, minFreeBytes: 0, ...extra };
}
