// The shape of CLIPS 6.30's fact pattern network for one template, kept only to know the order
// in which CLIPS visits a fact's alpha nodes (the engine's own alpha memories are shared and
// hashed differently). CLIPS builds one tree per template: a level per constrained field, in
// pattern order; a single-field slot holding only a fresh variable or a wildcard adds no level;
// a literal adds two (a selector on the slot, then the value); a pattern left with no level keeps
// one untested node. The last field's nodes (both, for a literal) also carry the join's hash
// key, so patterns share an alpha node only with the same tests and the same join slots. A new
// node goes first among its siblings, and a fact visits the tree depth first, a node before its
// children (CLIPS's factbld.c and factmch.c).
import { type SExpr, type SList, symbolName } from './reader.ts';

export class NetNode {
  readonly children: NetNode[] = [];
  /** Patterns whose path runs through this node. */
  refs = 0;
  /** Patterns ending here (the alpha node their joins read). */
  stops = 0;
  constructor(
    readonly key: string,
    readonly parent: NetNode | null,
  ) {}
}

export class PatternNet {
  private readonly top = new NetNode('', null);

  /** Adds a pattern's path; returns its stop node. */
  add(path: readonly string[]): NetNode {
    let at = this.top;
    for (const key of path) {
      let next = at.children.find((c) => c.key === key);
      if (next === undefined) {
        next = new NetNode(key, at);
        at.children.unshift(next);
      }
      next.refs++;
      at = next;
    }
    at.stops++;
    return at;
  }

  /** Removes a pattern added with `add`; nodes no pattern uses any longer go. */
  remove(stop: NetNode): void {
    stop.stops--;
    for (let n: NetNode | null = stop; n !== null && n !== this.top; n = n.parent) {
      n.refs--;
      if (n.refs === 0 && n.parent !== null)
        n.parent.children.splice(n.parent.children.indexOf(n), 1);
    }
  }

  /** The stop nodes' positions in CLIPS's visiting order (depth first, node before children). */
  order(): Map<NetNode, number> {
    const out = new Map<NetNode, number>();
    const walk = (n: NetNode): void => {
      if (n.stops > 0) out.set(n, out.size);
      for (const c of n.children) walk(c);
    };
    for (const c of this.top.children) walk(c);
    return out;
  }
}

const LITERALS = new Set(['SYMBOL', 'STRING', 'INTEGER', 'FLOAT']);

/**
 * The path of a pattern in its template's network (`multi`: whether a slot is a multislot).
 * Constraints whose variables come from other patterns are join tests in CLIPS and add no level
 * here; the fields compared for equality with such a variable are the join's hash key.
 */
export function netPath(
  p: SList,
  multi: (slot: string) => boolean,
  /** The variables this pattern binds (others come from earlier patterns: join tests). */
  bindsHere: ReadonlySet<string>,
): string[] {
  const levels: string[] = [];
  /** Where the last field's levels start (a literal has two: both carry the join hash). */
  let lastField = 0;
  const own = new Map<string, string>();
  const text = (e: SExpr): string => {
    if (e.kind === 'list') return `(${e.items.map(text).join(' ')})`;
    const t = e.tok;
    if (t.kind === 'SF_VAR' || t.kind === 'MF_VAR') return own.get(t.text) ?? `?${t.text}`;
    return `${t.kind}:${t.text}`;
  };
  const outsideVars = (items: readonly SExpr[]): boolean =>
    items.some((e) =>
      e.kind === 'list'
        ? outsideVars(e.items)
        : (e.tok.kind === 'SF_VAR' || e.tok.kind === 'MF_VAR') && !own.has(e.tok.text),
    );
  /** A fresh variable is bound here (no test); a known one is an equality test, within the
   *  pattern, or a join test when an earlier pattern bound it. A variable is named after the
   *  field that binds it: CLIPS's tests read fields, whatever the variables are called. */
  const bind = (e: SExpr, label: string): boolean => {
    if (e.kind !== 'atom') return false;
    const k = e.tok.kind;
    if (k === 'SF_WILD' || k === 'MF_WILD') return true;
    if ((k === 'SF_VAR' || k === 'MF_VAR') && !own.has(e.tok.text) && bindsHere.has(e.tok.text)) {
      own.set(e.tok.text, `@${label}`);
      return true;
    }
    return false;
  };
  /** Fields compared for equality with an earlier pattern's variable: the join hashes them. */
  const joined: string[] = [];
  const noteJoin = (label: string, vals: readonly SExpr[]): void => {
    const v = vals[0];
    const next = vals[1];
    if (
      v?.kind === 'atom' &&
      (v.tok.kind === 'SF_VAR' || v.tok.kind === 'MF_VAR') &&
      !own.has(v.tok.text) &&
      !bindsHere.has(v.tok.text) &&
      (next === undefined || (next.kind === 'atom' && next.tok.kind === '&'))
    ) {
      joined.push(label);
    }
  };
  /** A field's constraint (`?x&:(...)`, `a|b`, a literal, ...) as a network test, or ''. The
   *  leading variable (if fresh) is bound here; the rest is an alpha test only when it reads
   *  no other pattern's variables. */
  const test = (label: string, vals: readonly SExpr[]): string => {
    const lead = vals[0] as SExpr;
    if (bind(lead, label)) {
      const rest = vals.slice(1);
      return rest.length === 0 || outsideVars(rest) ? '' : vals.map(text).join(' ');
    }
    // `?k&:(...)` with ?k from an earlier pattern: the equality is the join's, and the rest
    // reads this field's own value (so it is a pattern test when it reads nothing else).
    if (lead.kind === 'atom' && lead.tok.kind === 'SF_VAR' && !own.has(lead.tok.text)) {
      const rest = vals.slice(1);
      if (rest.length === 0) return '';
      own.set(lead.tok.text, `@${label}`);
      const t = outsideVars(rest) ? '' : vals.map(text).join(' ');
      own.delete(lead.tok.text);
      return t;
    }
    return outsideVars(vals) ? '' : vals.map(text).join(' ');
  };
  /** One field; `extra`: a test CLIPS adds to it (a multislot's length check). */
  const field = (label: string, vals: readonly SExpr[], extra: string): void => {
    noteJoin(label, vals);
    const only = vals[0] as SExpr;
    if (vals.length === 1 && only.kind === 'atom' && LITERALS.has(only.tok.kind)) {
      // A literal is hashed: a selector on the field, then the value.
      lastField = levels.length;
      levels.push(`S ${label} ${extra}`, `V ${label} ${text(only)}`);
      return;
    }
    const t = test(label, vals);
    if (t !== '' || extra !== '') {
      lastField = levels.length;
      levels.push(`T ${label} ${extra} ${t}`);
    }
  };
  /** A multislot's fields. The first carries CLIPS's length check; a multifield variable or
   *  wildcard goes when it is the slot's only one and tests nothing, and turns into a
   *  single-field node when it is the only one and tests something. */
  const multiField = (slot: string, vals: readonly SExpr[]): void => {
    if (vals.length === 0) {
      lastField = levels.length;
      levels.push(`Z ${slot}`);
      return;
    }
    const groups = splitFields(vals);
    const isMf = (g: readonly SExpr[]): boolean =>
      g[0]?.kind === 'atom' && (g[0].tok.kind === 'MF_VAR' || g[0].tok.kind === 'MF_WILD');
    const mf = groups.filter(isMf).length;
    const sf = groups.length - mf;
    const length = sf > 0 || mf === 0 ? `len${sf}${mf === 0 ? '=' : '+'}` : '';
    const start = levels.length;
    groups.forEach((g, i) => {
      const label = `${slot}[${i}]`;
      const extra = i === 0 ? length : '';
      if (!isMf(g)) {
        field(label, g, extra);
        return;
      }
      noteJoin(label, g);
      const t = `${extra} ${test(label, g)}`.trim();
      if (mf > 1 || t !== '') lastField = levels.length;
      if (mf > 1) levels.push(`M ${label} ${t}`);
      else if (t !== '') levels.push(`T ${label} ${t}`);
    });
    // The slot's last remaining field is marked (both nodes of a literal): CLIPS shares it
    // only with another slot's last field.
    if (levels.length > start) {
      const from = Math.max(start, lastField);
      for (let i = from; i < levels.length; i++) levels[i] += ' end';
    }
  };
  const [, ...items] = p.items;
  if (items.every((i) => i.kind === 'list')) {
    for (const item of items) {
      const [slotExpr, ...vals] = (item as SList).items;
      const slot = symbolName(slotExpr as SExpr) ?? '';
      if (multi(slot)) multiField(slot, vals);
      else if (vals.length > 0) field(slot, vals, '');
    }
  } else multiField('', items);
  // No join key is no hash expression: such a last node shares with the same test anywhere.
  const hash = joined.length === 0 ? '' : `#${joined.join(',')}`;
  if (levels.length === 0) return [`R${hash}`];
  return levels.map((l, i) => (i >= lastField ? l + hash : l));
}

/** Splits a multislot's constraint list into its fields (connectives join their neighbours). */
function splitFields(vals: readonly SExpr[]): SExpr[][] {
  const out: SExpr[][] = [];
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i] as SExpr;
    const prev = vals[i - 1];
    const joined = i > 0 && ((prev !== undefined && isConnective(prev)) || isConnective(v));
    if (joined || (v.kind === 'list' && i > 0 && isColon(prev)))
      (out[out.length - 1] as SExpr[]).push(v);
    else out.push([v]);
  }
  return out;
}

function isColon(e: SExpr | undefined): boolean {
  return (
    e?.kind === 'atom' && e.tok.kind === 'SYMBOL' && (e.tok.text === ':' || e.tok.text === '=')
  );
}

function isConnective(e: SExpr): boolean {
  return e.kind === 'atom' && (e.tok.kind === '&' || e.tok.kind === '|' || e.tok.kind === '~');
}
