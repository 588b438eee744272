// Compiles one pattern CE into an alpha matcher (constant and intra-pattern tests, multifield
// segmentation) plus what the beta join needs: equality pairs for the hash index and any test
// that reads variables bound by earlier patterns.
import { type EngineError, errorAt } from './errors.ts';
import { type CompileContext, compileExpr } from './expr.ts';
import type { Fact } from './fact.ts';
import { valueHash } from './fact-index.ts';
import { isList, type SAtom, type SExpr, type SList, symbolName } from './reader.ts';
import { atomViolation, type SlotDef, type Template } from './template.ts';
import {
  type Atom,
  isMultifield,
  type Multifield,
  Sym,
  sameValue,
  truthy,
  type Value,
  valueKey,
} from './values.ts';

type Check = (v: Value, f: Value[]) => boolean;

interface Field {
  readonly multi: boolean;
  readonly binder: number | null;
  /** Checked during alpha matching (constants, variables of this pattern). */
  readonly alpha: Check | null;
  /** Frame index where the value is kept for a beta test or equality join. */
  readonly keep: number | null;
}

/** Per slot of the template: a single field, or a sequence of fields for a multislot. */
interface SlotMatcher {
  readonly index: number;
  readonly fields: readonly Field[];
  readonly multi: boolean;
}

export interface CompiledPattern {
  readonly template: Template;
  /** Frame indexes the pattern writes, in the order of an alpha entry's values. */
  readonly writes: readonly number[];
  /** Positions in `writes` whose values the rule's frame needs (equality-join temporaries only
   *  feed the hash index and are left out). */
  readonly frameWrites: readonly number[];
  /** Where each written value sits in an alpha entry's `vals` (aligned with `writes`): a
   *  `single` pattern's entries hold the fact's slots (shared by every pattern with the same
   *  alpha tests), so its positions are slot indexes, -1 for the fact itself (`?f <-`); other
   *  patterns' entries hold exactly the written values (position i). See `entryValue`. */
  readonly valuePos: readonly number[];
  /** For each value the rule's frame needs: its entry position and its frame index. */
  readonly frameFrom: readonly number[];
  readonly frameTo: readonly number[];
  /** Every way the fact matches: one value vector (aligned with `writes`) per match. */
  match(fact: Fact): Value[][];
  /** True when the pattern segments no multifield: it matches a fact at most once. */
  readonly single: boolean;
  /** For a `single` pattern: the one match's values, or null (no arrays around it). */
  matchOne(fact: Fact): Value[] | null;
  /** For a `single` pattern: whether the fact passes the alpha tests (nothing collected). */
  accepts(fact: Fact): boolean;
  /** Equality joins: positions in the entry's values paired with earlier variables' indexes. */
  readonly eqRight: readonly number[];
  readonly eqLeft: readonly number[];
  /** Tests on the merged frame (fields constrained by earlier variables). */
  readonly betaTest: ((f: Value[]) => boolean) | null;
  /** Variables this pattern binds first (to hide them again after a not/exists CE). */
  readonly bound: readonly string[];
  /** Patterns with equal keys match identically and lay out their entries' values alike
   *  (`single` patterns: the same alpha tests, whatever variables they capture). */
  readonly shareKey: string;
  /** A single-field slot the pattern requires to hold one literal: facts are dispatched on it. */
  readonly discriminator: Discriminator | null;
}

export interface Discriminator {
  readonly slot: number;
  readonly value: Atom;
}

/** Rule-wide variable bookkeeping: which pattern first bound each variable. */
export interface RuleVars {
  readonly boundIn: Map<string, number>;
}

interface PatternState {
  readonly c: CompileContext;
  readonly vars: RuleVars;
  readonly patternNo: number;
  readonly writes: number[];
  /** The slot each write reads (-1: the fact address), aligned with `writes`. */
  readonly writeSlots: number[];
  /** The slot whose fields are being parsed. */
  slot: number;
  /** Frame indexes written only to key an equality join. */
  readonly joinTemps: Set<number>;
  readonly bound: string[];
  readonly betaChecks: Array<(f: Value[]) => boolean>;
  readonly eqRight: number[];
  readonly eqLeft: number[];
  /** Whether an alpha test reads the frame (a predicate, a return value, or a variable this
   *  pattern bound): `accepts` must then write the pattern's variables as it goes. */
  alphaReadsFrame: boolean;
}

const fail = (at: SExpr, reason: string, c: CompileContext, code?: EngineError['code']) =>
  errorAt(at, reason, c.construct, code);

export function compilePattern(
  p: SList,
  c: CompileContext,
  vars: RuleVars,
  patternNo: number,
  factVar: string | null,
): CompiledPattern {
  const name = symbolName(p.items[0]);
  if (name === undefined) throw fail(p, 'a pattern must start with a template or relation name', c);
  const tmpl = c.host.findTemplate(name, true) as Template;
  const layoutKey = patternShareKey(p, tmpl, vars, patternNo, factVar);
  const testsKey = alphaTestsKey(p, tmpl, vars, patternNo);
  const st: PatternState = {
    c,
    vars,
    patternNo,
    writes: [],
    writeSlots: [],
    slot: 0,
    joinTemps: new Set(),
    bound: [],
    betaChecks: [],
    eqRight: [],
    eqLeft: [],
    alphaReadsFrame: false,
  };
  const slots: SlotMatcher[] = [];
  let discriminator: Discriminator | null = null;
  if (tmpl.implied) {
    slots.push({ index: 0, multi: true, fields: parseFields(p.items.slice(1), true, st) });
  } else {
    for (const item of p.items.slice(1)) {
      const slotName = isList(item) ? symbolName(item.items[0]) : undefined;
      if (!isList(item) || slotName === undefined) {
        throw fail(item, `deftemplate pattern ${tmpl.name} expects (slot constraint) items`, c);
      }
      const index = tmpl.slotIndex.get(slotName);
      if (index === undefined) {
        throw fail(
          item,
          `template ${tmpl.name} has no slot ${slotName}`,
          c,
          'NAU_ENGINE_UNKNOWN_SLOT',
        );
      }
      const def = tmpl.slots[index] as SlotDef;
      st.slot = index;
      const fields = parseFields(item.items.slice(1), def.multi, st);
      if (!def.multi && fields.length !== 1) {
        throw fail(
          item,
          `slot ${slotName} of ${tmpl.name} is a single-field slot`,
          c,
          'NAU_ENGINE_SLOT_TYPE',
        );
      }
      checkLiterals(item.items.slice(1), def, tmpl, c);
      slots.push({ index, multi: def.multi, fields });
      const only = item.items[1];
      if (
        discriminator === null &&
        !def.multi &&
        item.items.length === 2 &&
        only?.kind === 'atom' &&
        only.tok.value !== undefined
      ) {
        discriminator = { slot: index, value: only.tok.value };
      }
    }
  }
  let factIdx: number | null = null;
  if (factVar !== null) {
    if (c.scope.vars.has(factVar)) {
      throw fail(p, `fact-address variable ?${factVar} is already bound`, c, 'NAU_ENGINE_BUILD');
    }
    factIdx = c.scope.declare(factVar);
    c.scope.factTemplates.set(factVar, tmpl);
    vars.boundIn.set(factVar, patternNo);
    st.bound.push(factVar);
    st.writes.push(factIdx);
    st.writeSlots.push(-1);
  }
  const betaChecks = st.betaChecks;
  const betaTest =
    betaChecks.length === 0
      ? null
      : betaChecks.length === 1
        ? (betaChecks[0] as (f: Value[]) => boolean)
        : (f: Value[]) => betaChecks.every((b) => b(f));
  const writes = st.writes;
  const scope = c.scope;
  let scratch: Value[] | null = null;
  const collect = (frame: Value[]): Value[] => {
    const vals = new Array<Value>(writes.length);
    for (let i = 0; i < writes.length; i++) vals[i] = frame[writes[i] as number] as Value;
    return vals;
  };
  // Most patterns have no multifield segmentation: one straight pass, at most one match. A
  // multislot constrained by one multifield field (`(tags $?t)`) is not segmented either: the
  // field takes the slot's whole value, which facts never mutate, so it is shared, not copied.
  const single = slots.every((s) => !s.multi || isWhole(s));
  const matchOne = (fact: Fact): Value[] | null => {
    if (scratch === null) scratch = new Array<Value>(scope.size);
    const frame = scratch;
    if (factIdx !== null) frame[factIdx] = fact;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i] as SlotMatcher;
      if (!applyField(s.fields[0] as Field, fact.slots[s.index] as Value, frame)) return null;
    }
    return collect(frame);
  };
  // What `accepts` must run: the slots with alpha tests, except a literal the facts were
  // already dispatched on (`discriminator`: only facts holding it reach the memory), and the
  // variables' slots only when some test reads them. A pattern that only captures values
  // (e.g. `(request (id ?r))`) tests nothing.
  const dispatched =
    discriminator !== null &&
    (discriminator.value instanceof Sym ||
      typeof discriminator.value === 'string' ||
      typeof discriminator.value === 'bigint')
      ? discriminator.slot
      : -1;
  const readsFrame = st.alphaReadsFrame;
  const acceptSlots = slots.filter((s) => {
    // (Only `single` patterns use `accepts`; others may have slots without fields.)
    const fd = s.fields[0];
    if (fd === undefined) return false;
    if (fd.alpha !== null) return s.index !== dispatched || s.fields.length !== 1 || readsFrame;
    return readsFrame && (fd.binder !== null || fd.keep !== null);
  });
  const testsNothing = slots.every((s) => s.fields.every((fd) => fd.alpha === null));
  const accepts = (fact: Fact): boolean => {
    if (testsNothing || acceptSlots.length === 0) return true;
    if (scratch === null) scratch = new Array<Value>(scope.size);
    const frame = scratch;
    if (factIdx !== null) frame[factIdx] = fact;
    for (let i = 0; i < acceptSlots.length; i++) {
      const s = acceptSlots[i] as SlotMatcher;
      if (!applyField(s.fields[0] as Field, fact.slots[s.index] as Value, frame)) return false;
    }
    return true;
  };
  const match = (fact: Fact): Value[][] => {
    if (single) {
      const one = matchOne(fact);
      return one === null ? NO_MATCH : [one];
    }
    if (scratch === null) scratch = new Array<Value>(scope.size);
    const frame = scratch;
    if (factIdx !== null) frame[factIdx] = fact;
    const out: Value[][] = [];
    matchSlots(slots, 0, fact, frame, () => {
      out.push(collect(frame));
    });
    return out;
  };
  const frameWrites = writes.flatMap((w, i) => (st.joinTemps.has(w) ? [] : [i]));
  const valuePos = single ? st.writeSlots : writes.map((_w, i) => i);
  return {
    template: tmpl,
    writes,
    frameWrites,
    valuePos,
    frameFrom: frameWrites.map((i) => valuePos[i] as number),
    frameTo: frameWrites.map((i) => writes[i] as number),
    match,
    single,
    matchOne,
    accepts,
    eqRight: st.eqRight.map((i) => valuePos[writes.indexOf(i)] as number),
    eqLeft: st.eqLeft,
    betaTest,
    bound: st.bound,
    // Distinct prefixes: a slot-layout key never equals a value-layout key.
    shareKey: single ? `S ${testsKey}` : `V ${layoutKey}`,
    discriminator,
  };
}

/**
 * The pattern's text with variables renamed by first appearance, marked E when an earlier
 * pattern binds them (join values) and L otherwise: equal keys mean equal alpha tests and the
 * same sequence of written values, so the patterns can share one alpha memory.
 */
function patternShareKey(
  p: SList,
  tmpl: Template,
  vars: RuleVars,
  patternNo: number,
  factVar: string | null,
): string {
  const names = new Map<string, string>();
  const ser = (e: SExpr): string => {
    if (e.kind === 'list') return `(${e.items.map(ser).join(' ')})`;
    const t = e.tok;
    if (t.kind === 'SF_VAR' || t.kind === 'MF_VAR') {
      let r = names.get(t.text);
      if (r === undefined) {
        const earlier = (vars.boundIn.get(t.text) ?? patternNo) < patternNo;
        r = `${earlier ? 'E' : 'L'}${names.size}`;
        names.set(t.text, r);
      }
      return `${t.kind === 'MF_VAR' ? '$?' : '?'}${r}`;
    }
    return t.kind === 'STRING' ? JSON.stringify(t.text) : `${t.kind}:${t.text}`;
  };
  return `${tmpl.module.name}::${tmpl.name}${factVar === null ? '' : '@'}${p.items.slice(1).map(ser).join(' ')}`;
}

/**
 * The pattern's alpha tests as text, for `single` patterns (whose entries hold the fact's
 * slots, not the captured values): variables are renamed by first appearance as in
 * `patternShareKey`, but a variable that constrains nothing in the alpha network becomes a
 * wildcard, and a slot left with a lone wildcard is dropped, so `(request (id ?r))` and
 * `(request (id ?x) (agent ?a))` share one memory. Such variables: one the pattern mentions only
 * once and no earlier pattern binds (it only captures), and a lone reference to an earlier
 * variable (an equality join, done by the beta network). Anything else keeps its place.
 */
function alphaTestsKey(p: SList, tmpl: Template, vars: RuleVars, patternNo: number): string {
  const uses = new Map<string, number>();
  const count = (e: SExpr): void => {
    if (e.kind === 'list') for (const i of e.items) count(i);
    else if (e.tok.kind === 'SF_VAR' || e.tok.kind === 'MF_VAR') {
      uses.set(e.tok.text, (uses.get(e.tok.text) ?? 0) + 1);
    }
  };
  count(p);
  const isVar = (e: SExpr | undefined): e is SAtom =>
    e?.kind === 'atom' && (e.tok.kind === 'SF_VAR' || e.tok.kind === 'MF_VAR');
  const earlier = (name: string): boolean => (vars.boundIn.get(name) ?? patternNo) < patternNo;
  const names = new Map<string, string>();
  const ser = (e: SExpr): string => {
    if (e.kind === 'list') return `(${e.items.map(ser).join(' ')})`;
    const t = e.tok;
    if (t.kind === 'SF_VAR' || t.kind === 'MF_VAR') {
      const wild = t.kind === 'MF_VAR' ? '$?' : '?';
      if (!earlier(t.text) && uses.get(t.text) === 1) return wild;
      let r = names.get(t.text);
      if (r === undefined) {
        r = `${earlier(t.text) ? 'E' : 'L'}${names.size}`;
        names.set(t.text, r);
      }
      return `${wild}${r}`;
    }
    return t.kind === 'STRING' ? JSON.stringify(t.text) : `${t.kind}:${t.text}`;
  };
  const kept: string[] = [];
  for (const item of p.items.slice(1)) {
    if (isList(item) && item.items.length === 2) {
      const v = item.items[1];
      if (isVar(v) && (earlier(v.tok.text) || uses.get(v.tok.text) === 1)) continue;
    }
    kept.push(ser(item));
  }
  return `${tmpl.module.name}::${tmpl.name} ${kept.join(' ')}`;
}

/** Build-time check of literal constraints against the slot's type and allowed values. */
function checkLiterals(
  items: readonly SExpr[],
  def: SlotDef,
  tmpl: Template,
  c: CompileContext,
): void {
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as SExpr;
    if (it.kind !== 'atom' || it.tok.value === undefined) continue;
    // `:` and `=` introduce an expression, they are not literals.
    if ((it.tok.text === ':' || it.tok.text === '=') && isList(items[i + 1])) continue;
    const why = atomViolation(def, it.tok.value);
    if (why !== null) throw fail(it, `${why} in template ${tmpl.name}`, c, 'NAU_ENGINE_SLOT_TYPE');
  }
}

const NO_MATCH: Value[][] = [];

/** A multislot matched by a single multifield field: its value is the slot's whole value. */
function isWhole(s: SlotMatcher): boolean {
  return s.multi && s.fields.length === 1 && (s.fields[0] as Field).multi;
}

// The continuation after a multifield slot is passed as data, not as a closure: this runs for
// every fact a pattern with a multislot sees, and a closure per slot and fact is garbage.
function matchSlots(
  slots: readonly SlotMatcher[],
  i: number,
  fact: Fact,
  frame: Value[],
  emit: () => void,
): void {
  for (; i < slots.length; i++) {
    const s = slots[i] as SlotMatcher;
    const v = fact.slots[s.index] as Value;
    if (!s.multi) {
      if (!applyField(s.fields[0] as Field, v, frame)) return;
      continue;
    }
    matchSeq(s.fields, 0, v as Multifield, 0, frame, { slots, i: i + 1, fact, emit });
    return;
  }
  emit();
}

/** What follows a multifield slot's match: the remaining slots of the fact. */
interface SlotRest {
  readonly slots: readonly SlotMatcher[];
  readonly i: number;
  readonly fact: Fact;
  readonly emit: () => void;
}

function applyField(fd: Field, v: Value, frame: Value[]): boolean {
  if (fd.binder !== null) frame[fd.binder] = v;
  if (fd.keep !== null) frame[fd.keep] = v;
  return fd.alpha === null || fd.alpha(v, frame);
}

function matchSeq(
  fields: readonly Field[],
  fi: number,
  items: Multifield,
  pos: number,
  frame: Value[],
  rest: SlotRest,
): void {
  if (fi === fields.length) {
    if (pos === items.length) matchSlots(rest.slots, rest.i, rest.fact, frame, rest.emit);
    return;
  }
  const fd = fields[fi] as Field;
  if (!fd.multi) {
    if (pos < items.length && applyField(fd, items[pos] as Atom, frame)) {
      matchSeq(fields, fi + 1, items, pos + 1, frame, rest);
    }
    return;
  }
  let minRest = 0;
  for (let k = fi + 1; k < fields.length; k++) if (!(fields[k] as Field).multi) minRest++;
  const maxLen = items.length - pos - minRest;
  // A trailing multifield field takes exactly the rest. CLIPS produces the longest segment's
  // match first, which decides the order of activations created by one fact.
  const minLen = fi === fields.length - 1 ? maxLen : 0;
  for (let len = maxLen; len >= minLen; len--) {
    if (applyField(fd, items.slice(pos, pos + len), frame)) {
      matchSeq(fields, fi + 1, items, pos + len, frame, rest);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Field constraint parsing: term (& term)* (| term (& term)*)*, each term optionally ~negated.

interface Term {
  readonly neg: boolean;
  readonly at: SExpr;
  readonly kind: 'literal' | 'var' | 'mfvar' | 'wild' | 'mfwild' | 'pred' | 'retval';
  readonly value?: Atom;
  readonly name?: string;
  readonly expr?: SExpr;
}

function parseFields(items: readonly SExpr[], multiContext: boolean, st: PatternState): Field[] {
  const fields: Field[] = [];
  let i = 0;
  while (i < items.length) {
    const alts: Term[][] = [[]];
    for (;;) {
      const { term, next } = parseTerm(items, i, st);
      (alts[alts.length - 1] as Term[]).push(term);
      i = next;
      const conn = items[i];
      if (conn?.kind === 'atom' && (conn.tok.kind === '&' || conn.tok.kind === '|')) {
        if (conn.tok.kind === '|') alts.push([]);
        i++;
        if (i >= items.length) throw fail(conn, `constraint ends with '${conn.tok.kind}'`, st.c);
        continue;
      }
      break;
    }
    fields.push(buildField(alts, multiContext, st));
  }
  return fields;
}

function parseTerm(
  items: readonly SExpr[],
  i: number,
  st: PatternState,
): { term: Term; next: number } {
  let neg = false;
  let at = items[i] as SExpr;
  if (at.kind === 'atom' && at.tok.kind === '~') {
    neg = true;
    i++;
    at = items[i] as SExpr;
    if (at === undefined)
      throw fail(items[i - 1] as SExpr, "'~' must be followed by a constraint", st.c);
  }
  if (at.kind === 'list')
    throw fail(at, 'unexpected ( in a pattern; use :(...) or =(...) for expressions', st.c);
  const t = (at as SAtom).tok;
  const base = { neg, at };
  switch (t.kind) {
    case 'SF_VAR':
      return { term: { ...base, kind: 'var', name: t.text }, next: i + 1 };
    case 'MF_VAR':
      return { term: { ...base, kind: 'mfvar', name: t.text }, next: i + 1 };
    case 'SF_WILD':
      return { term: { ...base, kind: 'wild' }, next: i + 1 };
    case 'MF_WILD':
      return { term: { ...base, kind: 'mfwild' }, next: i + 1 };
    case 'SYMBOL':
      if ((t.text === ':' || t.text === '=') && isList(items[i + 1])) {
        const kind = t.text === ':' ? 'pred' : 'retval';
        return { term: { ...base, kind, expr: items[i + 1] as SExpr }, next: i + 2 };
      }
      return { term: { ...base, kind: 'literal', value: t.value as Atom }, next: i + 1 };
    case 'STRING':
    case 'INTEGER':
    case 'FLOAT':
      return { term: { ...base, kind: 'literal', value: t.value as Atom }, next: i + 1 };
    case 'GLOBAL':
      return { term: { ...base, kind: 'retval', expr: at }, next: i + 1 };
    default:
      throw fail(at, `unexpected '${t.text || t.kind}' in a pattern`, st.c);
  }
}

/** Variables an expression reads, by name. */
function varsIn(e: SExpr, out: string[] = []): string[] {
  if (e.kind === 'atom') {
    if (e.tok.kind === 'SF_VAR' || e.tok.kind === 'MF_VAR') out.push(e.tok.text);
  } else {
    for (const i of e.items) varsIn(i, out);
  }
  return out;
}

function buildField(alts: Term[][], multiContext: boolean, st: PatternState): Field {
  const { c, vars, patternNo } = st;
  const first = alts[0]?.[0] as Term;
  const multi = first.kind === 'mfvar' || first.kind === 'mfwild';
  if (multi && !multiContext)
    throw fail(first.at, 'multifield constraint in a single-field slot', c, 'NAU_ENGINE_SLOT_TYPE');
  let binder: number | null = null;
  // A leading, not-yet-bound variable binds the whole field; the rest constrains it.
  if (
    (first.kind === 'var' || first.kind === 'mfvar') &&
    !first.neg &&
    !c.scope.vars.has(first.name as string)
  ) {
    if (alts.length > 1 && alts[0]?.length === 1) {
      throw fail(
        first.at,
        `variable ?${first.name} cannot be bound inside a | constraint`,
        c,
        'NAU_ENGINE_BUILD',
      );
    }
    binder = c.scope.declare(first.name as string);
    vars.boundIn.set(first.name as string, patternNo);
    st.bound.push(first.name as string);
    st.writes.push(binder);
    st.writeSlots.push(st.slot);
    (alts[0] as Term[]).shift();
  }
  const rest = alts.filter((a) => a.length > 0);
  if (rest.length === 0) return { multi, binder, alpha: null, keep: null };

  const isEarlier = (name: string) => {
    const p = vars.boundIn.get(name);
    return p !== undefined && p < patternNo;
  };
  const termIsBeta = (t: Term): boolean => {
    if (t.kind === 'var' || t.kind === 'mfvar') return isEarlier(t.name as string);
    if (t.kind === 'pred' || t.kind === 'retval') return varsIn(t.expr as SExpr).some(isEarlier);
    return false;
  };
  const beta = rest.some((a) => a.some(termIsBeta));
  // A lone reference to an earlier variable is an equality join, served by the hash index.
  const lone = rest.length === 1 && rest[0]?.length === 1 ? (rest[0][0] as Term) : null;
  if (
    lone &&
    !lone.neg &&
    (lone.kind === 'var' || lone.kind === 'mfvar') &&
    isEarlier(lone.name as string)
  ) {
    const keep = binder ?? c.scope.temp();
    if (binder === null) {
      st.writes.push(keep);
      st.writeSlots.push(st.slot);
      st.joinTemps.add(keep);
    }
    st.eqRight.push(keep);
    st.eqLeft.push(c.scope.vars.get(lone.name as string) as number);
    return { multi, binder, alpha: null, keep: binder === null ? keep : null };
  }
  const check = compileAlternatives(rest, st);
  if (!beta) {
    if (rest.some((a) => a.some((t) => t.kind !== 'literal' && t.kind !== 'wild'))) {
      st.alphaReadsFrame = true;
    }
    return { multi, binder, alpha: check, keep: null };
  }
  const keep = binder ?? c.scope.temp();
  if (binder === null) {
    st.writes.push(keep);
    st.writeSlots.push(st.slot);
  }
  st.betaChecks.push((f) => check(f[keep] as Value, f));
  return { multi, binder, alpha: null, keep: binder === null ? keep : null };
}

function compileAlternatives(alts: Term[][], st: PatternState): Check {
  const ors = alts.map((and) => {
    const checks = and.map((t) => compileTerm(t, st));
    if (checks.length === 1) return checks[0] as Check;
    return (v: Value, f: Value[]) => checks.every((k) => k(v, f));
  });
  if (ors.length === 1) return ors[0] as Check;
  return (v, f) => ors.some((k) => k(v, f));
}

function compileTerm(t: Term, st: PatternState): Check {
  const { c } = st;
  let check: Check;
  switch (t.kind) {
    case 'literal': {
      const lit = t.value as Atom;
      check = (v) => sameValue(v, lit);
      break;
    }
    case 'var':
    case 'mfvar': {
      const idx = c.scope.vars.get(t.name as string);
      if (idx === undefined) {
        throw fail(
          t.at,
          `variable ?${t.name} is used in a constraint before it is bound`,
          c,
          'NAU_ENGINE_UNBOUND_VARIABLE',
        );
      }
      check = (v, f) => sameValue(v, f[idx] as Value);
      break;
    }
    case 'wild':
    case 'mfwild':
      check = () => true;
      break;
    case 'pred': {
      const code = compileExpr(t.expr as SExpr, c);
      check = (_v, f) => truthy(code(f));
      break;
    }
    case 'retval': {
      const code = compileExpr(t.expr as SExpr, c);
      check = (v, f) => sameValue(v, code(f));
      break;
    }
  }
  if (!t.neg) return check;
  return (v, f) => !check(v, f);
}

/**
 * Hash key of one or more join values. A single atom keys itself (exact). Several values key
 * by a numeric hash (a small integer, cheap to hash and never allocated): buckets may then mix
 * keys, so nodes with several equality joins confirm each pair (`sameJoinValues`).
 */
export function joinKey(vals: readonly Value[], idx: readonly number[]): unknown {
  if (idx.length === 0) return undefined;
  if (idx.length === 1) return singleJoinKey(vals[idx[0] as number] as Value);
  let h = JOIN_HASH_SEED;
  for (let k = 0; k < idx.length; k++) h = valueHash(vals[idx[k] as number] as Value, h);
  return h & JOIN_HASH_MASK;
}

export const JOIN_HASH_SEED = 0x811c9dc5;
/** 30 bits: a composite key stays a small integer (never a heap number). */
export const JOIN_HASH_MASK = 0x3fffffff;

/** The key of a join on one variable: the atom itself (a multifield by its text). */
export function singleJoinKey(v: Value): unknown {
  return isMultifield(v) ? valueKey(v) : v;
}
