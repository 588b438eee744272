// Tokenizer for CLIPS text. Every token carries its 1-based line and column so that every
// syntax and build error can name file:line:column.
import { EngineError, type SourceLocation } from './errors.ts';
import { type Atom, Sym } from './values.ts';

export type TokenKind =
  | '('
  | ')'
  | 'STRING'
  | 'SYMBOL'
  | 'INTEGER'
  | 'FLOAT'
  | 'SF_VAR' // ?x
  | 'MF_VAR' // $?x
  | 'SF_WILD' // ?
  | 'MF_WILD' // $?
  | 'GLOBAL' // ?*x*
  | 'MF_GLOBAL' // $?*x*
  | '&'
  | '|'
  | '~'
  | 'EOF';

export interface Token {
  readonly kind: TokenKind;
  /** Source text for symbols/variables (variable name without ? or $?), decoded text for strings. */
  readonly text: string;
  /** The atom for STRING, SYMBOL, INTEGER and FLOAT tokens. */
  readonly value?: Atom;
  readonly line: number;
  readonly column: number;
  /** Offset of the token's first character in the text. */
  readonly start: number;
  /** Offset just past the token's last character. */
  readonly end: number;
}

const DELIMITERS = new Set([' ', '\t', '\n', '\r', '\f', '\v', '(', ')', '"', '&', '|', '~', ';']);

const INTEGER_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/;

/** Parses one bare word as CLIPS does: an integer, a float, or otherwise a symbol. */
function parseWord(word: string): Atom {
  if (INTEGER_RE.test(word)) {
    const n = BigInt(word);
    // CLIPS converts integers that overflow 64 bits to floats.
    if (n > 9223372036854775807n || n < -9223372036854775808n) return Number(word);
    return n;
  }
  if (FLOAT_RE.test(word)) return Number(word);
  return Sym.of(word);
}

export class Lexer {
  private pos = 0;
  private line = 1;
  private col = 1;

  constructor(
    private readonly text: string,
    readonly source = '<string>',
  ) {}

  location(line = this.line, column = this.col): SourceLocation {
    return { source: this.source, line, column };
  }

  /** True when only whitespace and comments remain. */
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  next(): Token {
    this.skipSpace();
    const { text } = this;
    const start = this.pos;
    const line = this.line;
    const column = this.col;
    const tok = (kind: TokenKind, t: string, value?: Atom): Token =>
      value === undefined
        ? { kind, text: t, line, column, start, end: this.pos }
        : { kind, text: t, value, line, column, start, end: this.pos };
    if (start >= text.length) return tok('EOF', '');
    const c = text[start] as string;
    if (c === '(' || c === ')' || c === '&' || c === '|' || c === '~') {
      this.advance(1);
      return tok(c, c);
    }
    if (c === '"') return this.readString(line, column);
    const word = this.readWord();
    if (word.startsWith('$?')) {
      const name = word.slice(2);
      if (name === '') return tok('MF_WILD', '');
      if (name.length > 2 && name.startsWith('*') && name.endsWith('*'))
        return tok('MF_GLOBAL', name);
      return tok('MF_VAR', name);
    }
    if (word.startsWith('?')) {
      const name = word.slice(1);
      if (name === '') return tok('SF_WILD', '');
      if (name.length > 2 && name.startsWith('*') && name.endsWith('*')) return tok('GLOBAL', name);
      return tok('SF_VAR', name);
    }
    const value = parseWord(word);
    if (typeof value === 'bigint') return tok('INTEGER', word, value);
    if (typeof value === 'number') return tok('FLOAT', word, value);
    return tok('SYMBOL', word, value);
  }

  private advance(n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.text[this.pos] === '\n') {
        this.line++;
        this.col = 1;
      } else {
        this.col++;
      }
      this.pos++;
    }
  }

  private skipSpace(): void {
    const { text } = this;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === ';') {
        while (this.pos < text.length && text[this.pos] !== '\n') this.advance(1);
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.advance(1);
      } else {
        return;
      }
    }
  }

  private readWord(): string {
    const start = this.pos;
    let end = start;
    while (end < this.text.length && !DELIMITERS.has(this.text[end] as string)) end++;
    // `<` ends a word only in `?x<-` style; CLIPS itself treats it as a symbol character.
    this.advance(end - start);
    return this.text.slice(start, end);
  }

  private readString(line: number, column: number): Token {
    const start = this.pos;
    this.advance(1);
    let out = '';
    const { text } = this;
    while (this.pos < text.length) {
      const c = text[this.pos] as string;
      if (c === '"') {
        this.advance(1);
        return { kind: 'STRING', text: out, value: out, line, column, start, end: this.pos };
      }
      if (c === '\\' && this.pos + 1 < text.length) {
        out += text[this.pos + 1];
        this.advance(2);
        continue;
      }
      out += c;
      this.advance(1);
    }
    throw new EngineError('NAU_ENGINE_SYNTAX', 'unterminated string literal', {
      location: this.location(line, column),
    });
  }
}
