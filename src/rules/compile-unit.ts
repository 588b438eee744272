// A compiled construct: CLIPS text plus, for every line of it, the YAML position it came from,
// so an engine build error at "line 3 of this construct" is reported at the rule's YAML line.
import type { Loc } from './model.ts';

export type UnitKind = 'deftemplate' | 'defmodule' | 'deffunction' | 'defrule' | 'clp';

export interface CompiledUnit {
  readonly kind: UnitKind;
  /** Construct name (`module::rule`, template name, file path for .clp files). */
  readonly name: string;
  readonly text: string;
  /** Origin of each line of `text` (same length as its lines). */
  readonly lines: readonly Loc[];
  readonly origin: Loc;
  /** The text is the author's own (raw deffunction, .clp): engine columns are meaningful and
   *  are added to each line's origin column. */
  readonly verbatim?: boolean;
}

/** Builds a unit line by line. */
export class UnitWriter {
  private readonly out: string[] = [];
  private readonly origins: Loc[] = [];

  line(text: string, loc: Loc): this {
    for (const l of text.split('\n')) {
      this.out.push(l);
      this.origins.push(loc);
    }
    return this;
  }

  /** Appends text to the last line (closing parentheses). */
  append(text: string): this {
    const last = this.out.length - 1;
    if (last >= 0) this.out[last] += text;
    return this;
  }

  unit(kind: UnitKind, name: string, origin: Loc): CompiledUnit {
    return { kind, name, text: this.out.join('\n'), lines: [...this.origins], origin };
  }
}
