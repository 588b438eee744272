// Property: random sequences of appends, checkpoints, write faults and power losses (at a random
// file operation, keeping a random subset of unsynced sectors) never lose an acknowledged record
// above the checkpoint, never surface a partial or unknown record, and never reuse an LSN.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FaultFs, type WalAppendInput, WalWriter } from '../../src/wal/index.ts';
import { allRecords, faultOpts, rec } from './helpers.ts';

type Step =
  | { readonly kind: 'append'; readonly n: number }
  | { readonly kind: 'checkpoint'; readonly frac: number }
  | { readonly kind: 'enospc'; readonly room: number; readonly n: number }
  | { readonly kind: 'eio'; readonly n: number }
  | { readonly kind: 'short'; readonly max: number; readonly n: number }
  | {
      readonly kind: 'crash';
      readonly cutAfter: number;
      readonly n: number;
      readonly unsynced: 'drop' | 'keep' | 'random';
      readonly dirOps: 'drop' | 'keep' | 'random';
      readonly fill: 'zero' | 'garbage';
      readonly seed: number;
    };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      n: fc.integer({ min: 1, max: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('checkpoint' as const),
      frac: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('enospc' as const),
      room: fc.integer({ min: 0, max: 900 }),
      n: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('eio' as const), n: fc.integer({ min: 1, max: 5 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('short' as const),
      max: fc.integer({ min: 1, max: 300 }),
      n: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      cutAfter: fc.integer({ min: 0, max: 8 }),
      n: fc.integer({ min: 1, max: 8 }),
      unsynced: fc.constantFrom('drop' as const, 'keep' as const, 'random' as const),
      dirOps: fc.constantFrom('drop' as const, 'keep' as const, 'random' as const),
      fill: fc.constantFrom('zero' as const, 'garbage' as const),
      seed: fc.integer(),
    }),
  },
);

const OPTS = { segmentBytes: 1500 };

class Model {
  /** LSN -> rid of every record acknowledged or recovered (it must stay, above the floor). */
  readonly committed = new Map<number, string>();
  readonly sent = new Map<string, WalAppendInput>();
  floor = 0;
  private counter = 0;

  next(): WalAppendInput {
    const input = rec(++this.counter, `sess-${this.counter % 4}`);
    this.sent.set(input.rid, input);
    return input;
  }

  async wave(writer: WalWriter, n: number): Promise<void> {
    const appends = Array.from({ length: n }, () => {
      const input = this.next();
      return writer.append(input).then((r) => {
        const had = this.committed.get(r.lsn);
        assert.ok(had === undefined || had === input.rid, `LSN ${r.lsn} acknowledged twice`);
        this.committed.set(r.lsn, input.rid);
      });
    });
    await Promise.allSettled(appends);
  }

  /** Opens the WAL after a crash and checks it against everything known. */
  async recover(fs: FaultFs): Promise<WalWriter> {
    const writer = await WalWriter.open('/wal', faultOpts(fs, OPTS));
    const recs = await allRecords(writer.recovery);
    for (let i = 1; i < recs.length; i++) {
      assert.equal(recs[i]!.lsn, recs[i - 1]!.lsn + 1, 'LSNs are contiguous');
    }
    const seen = new Map(recs.map((r) => [r.lsn, r.rid]));
    for (const r of recs) {
      const sent = this.sent.get(r.rid);
      assert.ok(sent !== undefined, `LSN ${r.lsn}: a record nobody appended`);
      assert.deepEqual(
        { sid: r.sid, rid: r.rid, ts: r.ts, ops: r.ops },
        sent,
        `LSN ${r.lsn} is partial`,
      );
      const was = this.committed.get(r.lsn);
      assert.ok(was === undefined || was === r.rid, `LSN ${r.lsn} changed from ${was} to ${r.rid}`);
    }
    for (const [lsn, rid] of this.committed) {
      if (lsn > this.floor) assert.equal(seen.get(lsn), rid, `acknowledged LSN ${lsn} lost`);
    }
    for (const [lsn, rid] of seen) this.committed.set(lsn, rid); // recovered = committed now
    const maxKnown = Math.max(0, ...this.committed.keys());
    assert.ok(writer.nextLsn > maxKnown, `next LSN ${writer.nextLsn} <= ${maxKnown}`);
    return writer;
  }
}

test('random appends, checkpoints, faults and power losses never lose or corrupt acknowledged records', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
      const model = new Model();
      let fs = new FaultFs({ sectorBytes: 128 });
      let writer = await WalWriter.open('/wal', faultOpts(fs, OPTS));
      for (const s of steps) {
        if (writer.failed !== null && s.kind !== 'crash') continue; // a failed writer needs a restart
        switch (s.kind) {
          case 'append':
            await model.wave(writer, s.n);
            break;
          case 'checkpoint': {
            const target = Math.floor(model.floor + (writer.lastLsn - model.floor) * s.frac);
            if (target > model.floor) {
              await writer.checkpoint(target);
              model.floor = target;
            }
            break;
          }
          case 'enospc': {
            fs.capacityBytes = totalBytes(fs) + s.room;
            await model.wave(writer, s.n);
            fs.capacityBytes = Number.POSITIVE_INFINITY;
            break;
          }
          case 'eio':
            fs.inject({ op: 'append', path: 'wal-', code: 'EIO' });
            await model.wave(writer, s.n);
            fs.clearFaults();
            break;
          case 'short':
            fs.maxWriteBytes = s.max;
            await model.wave(writer, s.n);
            fs.maxWriteBytes = Number.POSITIVE_INFINITY;
            break;
          case 'crash': {
            if (s.cutAfter > 0) {
              let ops = 0;
              fs.beforeOp = () => {
                if (++ops === s.cutAfter) fs.cutPower();
              };
              await model.wave(writer, s.n);
              // A checkpoint may be cut too: its LSN may already be gone.
              if (fs.poweredOn && writer.failed === null && writer.lastLsn > model.floor) {
                model.floor = writer.lastLsn;
                await writer.checkpoint(model.floor).catch(() => {});
              }
            }
            fs = fs.crash({ unsynced: s.unsynced, dirOps: s.dirOps, fill: s.fill, seed: s.seed });
            writer = await model.recover(fs);
            break;
          }
        }
      }
      fs = fs.crash({ unsynced: 'drop', dirOps: 'drop' });
      const last = await model.recover(fs);
      await last.close();
    }),
    { numRuns: 150, verbose: 1 },
  );
});

function totalBytes(fs: FaultFs): number {
  let n = 0;
  for (const name of fs.names('/wal')) n += fs.contents(`/wal/${name}`).length;
  return n;
}
