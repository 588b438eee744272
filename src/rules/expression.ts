// The `expression` mini-language of conditions: `operator(arg, ...)`. Arguments are quoted
// strings, bare words (symbols or numbers), `?variables`, `$alias.field` references, `[lists]`
// or raw `(CLIPS expressions)`. Fathom pasted the argument text into CLIPS unparsed; parsing it
// lets the compiler type literals for their slot and report mistakes against the YAML.
import { checkBalanced } from './clips-text.ts';

export type Arg =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'word'; readonly value: string }
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'ref'; readonly alias: string; readonly field: string }
  | { readonly kind: 'list'; readonly items: readonly Arg[] }
  | { readonly kind: 'raw'; readonly text: string }
  | { readonly kind: 'empty' };

export interface Expression {
  readonly op: string;
  readonly args: readonly Arg[];
}

const CALL = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([\s\S]*)\)\s*$/;

export function parseExpression(text: string): Expression | { error: string } {
  const m = CALL.exec(text);
  if (m === null) return { error: `"${text}" is not of the form operator(argument)` };
  const split = splitTopLevel(m[2] as string);
  if ('error' in split) return split;
  const args: Arg[] = [];
  for (const part of split.parts) {
    const a = parseArg(part);
    if ('error' in a) return a;
    args.push(a);
  }
  if (args.length === 1 && args[0]?.kind === 'empty') return { op: m[1] as string, args: [] };
  if (args.some((a) => a.kind === 'empty')) return { error: 'an argument is empty' };
  return { op: m[1] as string, args };
}

/** Splits at commas outside quotes, brackets and parentheses. */
function splitTopLevel(text: string): { parts: string[] } | { error: string } {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (i >= text.length) return { error: 'unterminated string' };
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') {
      depth--;
      if (depth < 0) return { error: `unbalanced "${c}"` };
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return { error: 'unbalanced brackets or parentheses' };
  parts.push(text.slice(start));
  return { parts: parts.map((p) => p.trim()) };
}

const REF = /^\$([A-Za-z][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)$/;
const VAR = /^\?([A-Za-z][A-Za-z0-9_-]*)$/;
const WORD = /^[^\s"'()[\],;&|~]+$/;

function parseArg(text: string): Arg | { error: string } {
  if (text === '') return { kind: 'empty' };
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) return { error: `bad string literal ${text}` };
    return { kind: 'string', value: text.slice(1, -1).replace(/\\(.)/g, '$1') };
  }
  if (text.startsWith("'")) return { error: `use double quotes for strings: ${text}` };
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) return { error: `a list must end with ]: ${text}` };
    const split = splitTopLevel(text.slice(1, -1));
    if ('error' in split) return split;
    const items: Arg[] = [];
    for (const part of split.parts) {
      if (part === '' && split.parts.length === 1) break;
      const a = parseArg(part);
      if ('error' in a) return a;
      if (a.kind === 'empty' || a.kind === 'list') return { error: `bad list item in ${text}` };
      items.push(a);
    }
    return { kind: 'list', items };
  }
  if (text.startsWith('(')) {
    const problem = checkBalanced(text);
    if (problem !== undefined || !text.endsWith(')')) return { error: `bad expression ${text}` };
    return { kind: 'raw', text };
  }
  if (text.startsWith('$')) {
    const r = REF.exec(text);
    if (r === null) return { error: `"${text}" is not a reference of the form $alias.slot` };
    return { kind: 'ref', alias: r[1] as string, field: r[2] as string };
  }
  if (text.startsWith('?')) {
    const v = VAR.exec(text);
    if (v === null) return { error: `"${text}" is not a variable` };
    return { kind: 'var', name: text };
  }
  if (!WORD.test(text)) return { error: `"${text}" is not a single word; quote it` };
  return { kind: 'word', value: text };
}
