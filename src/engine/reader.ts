// Reads CLIPS text into s-expressions that keep each token's location.
import { EngineError, type SourceLocation } from './errors.ts';
import { Lexer, type Token } from './lexer.ts';

export interface SList {
  readonly kind: 'list';
  readonly items: readonly SExpr[];
  readonly loc: SourceLocation;
  /** Offsets of the opening and closing parentheses in the source text. */
  readonly start: number;
  readonly end: number;
}

export interface SAtom {
  readonly kind: 'atom';
  readonly tok: Token;
  readonly loc: SourceLocation;
}

export type SExpr = SList | SAtom;

/** Reads top-level forms one at a time so that a batch can run each before reading the next. */
export class Reader {
  readonly lexer: Lexer;

  constructor(
    readonly text: string,
    readonly source = '<string>',
  ) {
    this.lexer = new Lexer(text, source);
  }

  /** The next top-level form, or null at the end of the text. */
  read(): SExpr | null {
    const tok = this.lexer.next();
    if (tok.kind === 'EOF') return null;
    this.top = [];
    try {
      return this.form(tok);
    } catch (x) {
      // Name the construct being read, e.g. `defrule r`, when its head was already seen.
      const [head, name] = this.top;
      if (x instanceof EngineError && head?.startsWith('def') && !x.detail.construct) {
        throw new EngineError(x.code, x.reason, {
          ...x.detail,
          construct: name ? `${head} ${name}` : head,
        });
      }
      throw x;
    } finally {
      this.top = null;
    }
  }

  /** Texts of the first atoms of the top-level form being read (for error messages). */
  private top: string[] | null = null;

  private loc(tok: Token): SourceLocation {
    return { source: this.source, line: tok.line, column: tok.column };
  }

  private form(tok: Token): SExpr {
    if (tok.kind === ')') {
      throw new EngineError('NAU_ENGINE_SYNTAX', "unexpected ')'", { location: this.loc(tok) });
    }
    if (tok.kind !== '(') return { kind: 'atom', tok, loc: this.loc(tok) };
    const items: SExpr[] = [];
    for (;;) {
      const t = this.lexer.next();
      if (t.kind === 'EOF') {
        throw new EngineError('NAU_ENGINE_SYNTAX', "missing ')' for the '(' opened here", {
          location: this.loc(tok),
        });
      }
      if (t.kind === ')') {
        return { kind: 'list', items, loc: this.loc(tok), start: tok.start, end: t.end };
      }
      if (this.top !== null && this.top.length < 2 && t.kind !== '(') this.top.push(t.text);
      items.push(this.form(t));
    }
  }
}

export const isList = (e: SExpr | undefined): e is SList => e?.kind === 'list';

/** The symbol text of an atom, or undefined when it is not a SYMBOL token. */
export function symbolName(e: SExpr | undefined): string | undefined {
  return e?.kind === 'atom' && e.tok.kind === 'SYMBOL' ? e.tok.text : undefined;
}

/** The head symbol of a list, e.g. `defrule` for `(defrule ...)`. */
export function headName(e: SExpr | undefined): string | undefined {
  return e?.kind === 'list' ? symbolName(e.items[0]) : undefined;
}
