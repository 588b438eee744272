// Failpoints: crash tests make the process kill itself (SIGKILL, no cleanup) at a named step of
// the durability path, to check that a restart loses nothing acknowledged (docs/wal.md,
// "Failpoints"). For testing only. `NAUTILUS_FAILPOINT=<name>` or `<name>:<n>` fires on the
// n-th time the step is reached (default 1). The variable is read once, when this module loads;
// unset, each step costs one null check.
import { writeSync } from 'node:fs';
import { NautilusError } from './errors.ts';

export const FAILPOINT_ENV = 'NAUTILUS_FAILPOINT';

/** Every step a failpoint can name, in the order a request meets them (docs/wal.md). */
export const FAILPOINT_NAMES = [
  'wal-before-write',
  'wal-half-write',
  'wal-before-sync',
  'wal-after-sync',
  'before-store-write',
  'before-response',
  'checkpoint',
  'recovery',
] as const;

export type FailpointName = (typeof FAILPOINT_NAMES)[number];

interface Armed {
  readonly name: FailpointName;
  readonly nth: number;
  reached: number;
}

/** Parses a `NAUTILUS_FAILPOINT` value: null when unset or empty; throws NAU_FAILPOINT_INVALID. */
export function parseFailpoint(
  value: string | undefined,
): { readonly name: FailpointName; readonly nth: number } | null {
  if (value === undefined || value.trim() === '') return null;
  const m = /^([a-z-]+)(?::(\d+))?$/.exec(value.trim());
  const name = m?.[1] as FailpointName | undefined;
  const nth = m?.[2] === undefined ? 1 : Number(m[2]);
  if (
    name === undefined ||
    !FAILPOINT_NAMES.includes(name) ||
    !Number.isSafeInteger(nth) ||
    nth < 1
  )
    throw new NautilusError(
      'NAU_FAILPOINT_INVALID',
      `${FAILPOINT_ENV}=${JSON.stringify(value)}: expected <name> or <name>:<n> (n >= 1) with a name among ${FAILPOINT_NAMES.join(', ')}`,
      400,
      { variable: FAILPOINT_ENV, value },
    );
  return { name, nth };
}

let armed: Armed | null = null;
let invalid: NautilusError | null = null;
try {
  const parsed = parseFailpoint(process.env[FAILPOINT_ENV]);
  if (parsed !== null) armed = { ...parsed, reached: 0 };
} catch (x) {
  invalid = x as NautilusError;
}

/**
 * Throws NAU_FAILPOINT_INVALID when `NAUTILUS_FAILPOINT` is set to something unknown (a typo
 * would otherwise never fire and the crash test would pass for the wrong reason); returns the
 * armed failpoint, if any, so a server can log it.
 */
export function checkFailpointEnv(): string | null {
  if (invalid !== null) throw invalid;
  return armed === null ? null : `${armed.name}:${armed.nth}`;
}

/** Counts one arrival at `name`; true when this arrival is the one that must crash. */
export function failpointDue(name: FailpointName): boolean {
  if (armed === null) return false;
  if (armed.name !== name) return false;
  return ++armed.reached === armed.nth;
}

/** Kills the process now (SIGKILL: no handler, no flush, no cleanup), saying why on stderr. */
export function crashAt(name: FailpointName): never {
  try {
    writeSync(2, `nautilus: failpoint ${name} reached (${armed?.reached ?? 0}): SIGKILL\n`);
  } catch {
    // stderr gone: die anyway
  }
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is acted on before kill(2) returns to the caller; never carry on if it somehow is not.
  process.abort();
}

/** A step of the durability path: kills the process if it is the armed failpoint's turn. */
export function failpoint(name: FailpointName): void {
  if (armed === null) return;
  if (failpointDue(name)) crashAt(name);
}
