// Project-wide error value. Every error a user can cause carries a stable `NAU_*` code, an HTTP
// status where one applies, and a message naming what is at fault and where (file, line, field).
// EngineError (src/engine/errors.ts) has the same shape; the engine imports nothing from here.

export interface ErrorLocation {
  /** File path, or a label such as `<string>` for text that came from memory. */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export interface NautilusErrorDetail {
  readonly location?: ErrorLocation;
  readonly [key: string]: unknown;
}

export class NautilusError extends Error {
  constructor(
    readonly code: `NAU_${string}`,
    message: string,
    readonly status = 500,
    readonly detail: NautilusErrorDetail = {},
  ) {
    super(message);
    this.name = 'NautilusError';
  }
}

/** `file:line:column` (parts that are unknown are left out). */
export function formatErrorLocation(loc: ErrorLocation): string {
  let out = loc.file;
  if (loc.line !== undefined) out += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) out += `:${loc.column}`;
  return out;
}
