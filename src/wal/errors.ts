// The WAL's error values. Every failure a caller or operator can see carries a stable code; the
// statuses say what a request that hit it should get (503 = the broker cannot take writes now).
import { NautilusError, type NautilusErrorDetail } from '../errors.ts';

export type WalErrorCode =
  | 'NAU_WAL_LOCKED'
  | 'NAU_WAL_FAILED'
  | 'NAU_WAL_NO_SPACE'
  | 'NAU_WAL_WRITE_FAILED'
  | 'NAU_WAL_FULL'
  | 'NAU_WAL_CLOSED'
  | 'NAU_WAL_CHECKPOINT_FAILED'
  | 'NAU_WAL_CORRUPT'
  | 'NAU_WAL_UNSUPPORTED_VERSION'
  | 'NAU_WAL_UNREADABLE'
  | 'NAU_WAL_OPEN_FAILED'
  | 'NAU_WAL_BAD_RECORD'
  | 'NAU_WAL_RECORD_TOO_LARGE'
  | 'NAU_WAL_BAD_OPTION';

const STATUS: Record<WalErrorCode, number> = {
  NAU_WAL_LOCKED: 500,
  NAU_WAL_FAILED: 503,
  NAU_WAL_NO_SPACE: 503,
  NAU_WAL_WRITE_FAILED: 503,
  NAU_WAL_FULL: 503,
  NAU_WAL_CLOSED: 503,
  NAU_WAL_CHECKPOINT_FAILED: 500,
  NAU_WAL_CORRUPT: 500,
  NAU_WAL_UNSUPPORTED_VERSION: 500,
  NAU_WAL_UNREADABLE: 500,
  NAU_WAL_OPEN_FAILED: 500,
  NAU_WAL_BAD_RECORD: 400,
  NAU_WAL_RECORD_TOO_LARGE: 413,
  NAU_WAL_BAD_OPTION: 500,
};

export function walError(
  code: WalErrorCode,
  message: string,
  detail: NautilusErrorDetail = {},
): NautilusError {
  return new NautilusError(code, message, STATUS[code], detail);
}

/** `ENOSPC: ...` from an errno error, or the plain message. */
export function describeIoError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.startsWith(code)
      ? `${code}: ${err.message}`
      : err.message;
  }
  return String(err);
}

export function errnoCode(err: unknown): string | undefined {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}
