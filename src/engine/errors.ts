// Engine errors are values with stable codes. The engine imports nothing from the rest of the
// project, so it has its own error class; its shape ({code, status, detail}) matches the
// project-wide NautilusError so the broker can pass it through unchanged.

export type EngineErrorCode =
  | 'NAU_ENGINE_SYNTAX'
  | 'NAU_ENGINE_BUILD'
  | 'NAU_ENGINE_UNKNOWN_FUNCTION'
  | 'NAU_ENGINE_UNBOUND_VARIABLE'
  | 'NAU_ENGINE_SLOT_TYPE'
  | 'NAU_ENGINE_UNKNOWN_TEMPLATE'
  | 'NAU_ENGINE_UNKNOWN_SLOT'
  | 'NAU_ENGINE_ARGUMENTS'
  | 'NAU_ENGINE_RUNTIME'
  | 'NAU_ENGINE_UNKNOWN_FACT'
  | 'NAU_ENGINE_IO';

/** Where in the rule text something is: file (or a label such as `<string>`), 1-based line/column. */
export interface SourceLocation {
  readonly source: string;
  readonly line: number;
  readonly column: number;
}

export interface EngineErrorDetail {
  readonly location?: SourceLocation;
  /** The construct being built, e.g. `defrule MAIN::route-source`. */
  readonly construct?: string;
  readonly [key: string]: unknown;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.source}:${loc.line}:${loc.column}`;
}

export class EngineError extends Error {
  readonly status = 400;
  constructor(
    readonly code: EngineErrorCode,
    readonly reason: string,
    readonly detail: EngineErrorDetail = {},
  ) {
    const where = detail.location ? `${formatLocation(detail.location)}: ` : '';
    const what = detail.construct ? ` (in ${detail.construct})` : '';
    super(`${where}${reason}${what}`);
    this.name = 'EngineError';
  }

  /** The same error with a location and construct filled in where they were missing. */
  at(location: SourceLocation | undefined, construct?: string): EngineError {
    if (this.detail.location && (this.detail.construct || !construct)) return this;
    const detail: EngineErrorDetail = {
      ...this.detail,
      ...(this.detail.location || !location ? {} : { location }),
      ...(this.detail.construct || !construct ? {} : { construct }),
    };
    return new EngineError(this.code, this.reason, detail);
  }
}

/** An error located at a form (anything with a `loc`) inside the construct being built. */
export function errorAt(
  at: { readonly loc: SourceLocation } | SourceLocation,
  reason: string,
  construct: string | undefined,
  code: EngineErrorCode = 'NAU_ENGINE_SYNTAX',
): EngineError {
  const location = 'loc' in at ? at.loc : at;
  return new EngineError(
    code,
    reason,
    construct === undefined ? { location } : { location, construct },
  );
}
