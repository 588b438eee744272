// The session state a store row holds (the store's opaque `state`), and its decoding.
//
// Version 2 (written since 2026-11-26) names each template's slots once and stores every fact
// as a row of values: `{"v":2,"slots":{"session_exposure":["session_id",…]},"facts":
// [["session_exposure","s1",…],…],"wal":{…}}`. Version 1 repeated the slot names in every fact
// (`{"v":1,"facts":[{"template":…,"slots":{…}}],…}`), twice the bytes to serialize and write on
// every save of a long session. Both are read; only version 2 is written.
import { isSessionOps, type SessionOp, type SessionValue } from './ops.ts';

/** A session's facts, positional: `rows[i][0]` is the template, then its slots' values in the
 *  order `slots[template]` names them. */
export interface FactRows {
  readonly slots: Readonly<Record<string, readonly string[]>>;
  readonly facts: readonly (readonly [string, ...SessionValue[]])[];
}

/** Per WAL (by its id), the highest LSN whose ops the stored facts include. */
export type WalLsns = Readonly<Record<string, number>>;

export interface StoredStateV2 extends FactRows {
  readonly v: 2;
  readonly wal: WalLsns;
}

/** What a stored state decodes to, whatever its version. */
export interface DecodedState {
  readonly facts: SessionOp[];
  readonly wal: WalLsns;
}

export function encodeState(rows: FactRows, wal: WalLsns): StoredStateV2 {
  return { v: 2, slots: rows.slots, facts: rows.facts, wal };
}

/** Ops as rows (for a state built outside the engine, e.g. a seeded store); each template's
 *  slot names are taken from its first op, and every op of it must name the same slots. */
export function rowsOfOps(ops: readonly SessionOp[]): FactRows {
  const slots: Record<string, readonly string[]> = {};
  const facts = ops.map((op): [string, ...SessionValue[]] => {
    slots[op.template] ??= Object.keys(op.slots);
    const names = slots[op.template] as readonly string[];
    if (
      names.length !== Object.keys(op.slots).length ||
      !names.every((n) => Object.hasOwn(op.slots, n))
    )
      throw new Error(`ops of ${op.template} name different slots`);
    return [op.template, ...names.map((n) => op.slots[n] as SessionValue)];
  });
  return { slots, facts };
}

/** The facts and WAL positions of a stored state; null when it is not a Nautilus state. */
export function decodeState(raw: unknown): DecodedState | null {
  if (raw === null || typeof raw !== 'object') return null;
  const s = raw as { v?: unknown; facts?: unknown; slots?: unknown; wal?: unknown };
  if (s.wal !== undefined && !isWalMap(s.wal)) return null;
  const wal = (s.wal ?? {}) as WalLsns;
  if (s.v === 1) return isSessionOps(s.facts) ? { facts: s.facts, wal } : null;
  if (s.v !== 2) return null;
  const facts = opsOfRows(s.slots, s.facts);
  return facts === null ? null : { facts, wal };
}

function opsOfRows(slots: unknown, rows: unknown): SessionOp[] | null {
  if (slots === null || typeof slots !== 'object' || !Array.isArray(rows)) return null;
  const names = slots as Record<string, unknown>;
  const ops: SessionOp[] = [];
  for (const row of rows) {
    if (!Array.isArray(row) || typeof row[0] !== 'string' || !Object.hasOwn(names, row[0])) {
      return null;
    }
    const slotNames = names[row[0]];
    if (!Array.isArray(slotNames) || slotNames.length !== row.length - 1) return null;
    const values: Record<string, SessionValue> = {};
    for (let i = 0; i < slotNames.length; i++) {
      const name = slotNames[i];
      if (typeof name !== 'string') return null;
      values[name] = row[i + 1] as SessionValue;
    }
    ops.push({ template: row[0], slots: values });
  }
  return ops;
}

function isWalMap(x: unknown): x is Record<string, number> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  return Object.values(x).every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
}
