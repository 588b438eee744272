// Writing CLIPS source text safely: literals typed for their slot, strings escaped, symbols that
// the reader would misparse wrapped in sym-cat, and scanning of raw CLIPS snippets (balance,
// variables) so errors are reported against the YAML instead of by the engine.
import type { Scalar, SlotType } from './model.ts';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const VARIABLE = /^\?[A-Za-z][A-Za-z0-9_-]*$/;
const INTEGER_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/;
/** Symbols the CLIPS reader reads back as the same symbol in every position. */
const PLAIN_SYMBOL = /^[A-Za-z][A-Za-z0-9_\-./:*+!@#%^]*$/;

export function quoteString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function isPlainSymbol(s: string): boolean {
  return PLAIN_SYMBOL.test(s) && !s.includes('::');
}

/** A SYMBOL as an expression: the bare word when safe, else `(sym-cat "...")`. */
export function symbolExpr(s: string): string {
  return isPlainSymbol(s) ? s : `(sym-cat ${quoteString(s)})`;
}

export function floatText(n: number): string {
  const s = String(n);
  return /[.eE]/.test(s) || !Number.isFinite(n) ? s : `${s}.0`;
}

export type Literal = { readonly text: string } | { readonly error: string };

/**
 * A YAML scalar as a CLIPS literal expression for a slot of `type`: words become strings in
 * STRING slots and symbols in SYMBOL slots (Fathom emitted them raw, so `equals(secret)` was a
 * SYMBOL that never matched a STRING slot); numbers must fit the numeric type.
 */
export function literalFor(value: Scalar, type: SlotType): Literal {
  switch (type) {
    case 'string':
      if (typeof value === 'boolean') return { error: `expected a string, got ${value}` };
      return { text: quoteString(String(value)) };
    case 'symbol':
      if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE' };
      if (String(value) === '') return { error: 'a symbol cannot be empty' };
      if (/\s/.test(String(value))) return { error: `"${value}" is not a symbol (it has spaces)` };
      return { text: symbolExpr(String(value)) };
    case 'integer': {
      const s = typeof value === 'number' ? String(value) : String(value).trim();
      if (typeof value === 'boolean' || !INTEGER_TEXT.test(s))
        return { error: `expected an integer, got ${JSON.stringify(value)}` };
      return { text: BigInt(s).toString() };
    }
    case 'float': {
      const s = typeof value === 'number' ? String(value) : String(value).trim();
      if (typeof value === 'boolean' || !(typeof value === 'number' || FLOAT_TEXT.test(s)))
        return { error: `expected a number, got ${JSON.stringify(value)}` };
      return { text: floatText(Number(s)) };
    }
  }
}

/** The canonical text of a literal value, to compare against allowed values and levels. */
export function valueKeyFor(value: Scalar, type: SlotType): string | undefined {
  const lit = literalFor(value, type);
  return 'text' in lit ? lit.text : undefined;
}

/** True when a literal expression can stand as a pattern constraint as written. */
export function isConstraintLiteral(text: string): boolean {
  return !text.startsWith('(');
}

/** Reports unbalanced parentheses or an unterminated string in a raw CLIPS snippet. */
export function checkBalanced(text: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (i >= text.length) return 'unterminated string';
    } else if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth < 0) return 'unbalanced ")"';
    }
  }
  return depth === 0 ? undefined : 'missing ")"';
}

export interface VariableUse {
  readonly name: string;
  readonly multi: boolean;
}

/** The variables (`?x`, `$?x`) a raw snippet reads, outside strings and comments; globals and
 *  variables the snippet binds itself with `(bind ?x ...)` are left out. */
export function scanVariables(text: string): VariableUse[] {
  const out: VariableUse[] = [];
  const bound = new Set<string>();
  const re = /"(?:[^"\\]|\\.)*"|;[^\n]*|(\(\s*bind\s+)?(\$?)\?([A-Za-z][A-Za-z0-9_-]*)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const name = m[3];
    if (name === undefined) continue;
    if (m[1] !== undefined) {
      bound.add(name);
      continue;
    }
    if (!bound.has(name)) out.push({ name: `?${name}`, multi: m[2] === '$' });
  }
  return out;
}
