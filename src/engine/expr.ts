// Compiles CLIPS expressions (function calls, special forms, RHS actions) into closures over a
// frame of variable values. Variables are resolved to frame indexes at build time, so unknown
// functions, wrong argument counts and unbound variables are build errors with a location.
import { EngineError, errorAt, type SourceLocation } from './errors.ts';
import { checkArity, type FunctionDef, type FunctionHost } from './functions.ts';
import { headName, isList, type SAtom, type SExpr, type SList } from './reader.ts';
import { checkSlotValue, type SlotDef, type Template } from './template.ts';
import {
  type Atom,
  FALSE,
  isMultifield,
  type Multifield,
  sameValue,
  TRUE,
  truthy,
  type Value,
} from './values.ts';

/** A compiled expression: reads and writes variables in a frame. */
export type Code = (frame: Value[]) => Value;

export interface GlobalVar {
  readonly name: string;
  value: Value;
  init: Code;
}

/** What the compiler needs from the engine. */
export interface CompileHost {
  findFunction(name: string): FunctionDef | undefined;
  findGlobal(name: string): GlobalVar | undefined;
  /** Finds a visible deftemplate; for ordered facts, creates the implied template if `create`. */
  findTemplate(name: string, create: boolean): Template | undefined;
  assertSlots(tmpl: Template, slots: Value[]): Value;
  /** modify/duplicate: the fact with `values[k]` in slot `indexes[k]`. */
  modifyFact(
    target: Value,
    indexes: readonly number[],
    values: readonly Value[],
    keep: boolean,
  ): Value;
  /** Default value of a slot omitted from an RHS assert. */
  slotDefault(tmpl: Template, slot: SlotDef): Value;
  /** The template of a fact given by address or index (modify/duplicate with unknown target). */
  factTemplate(target: Value, fn: string): Template;
  readonly functionHost: FunctionHost;
}

/** Variables visible to an expression, each at a fixed frame index. */
export class Scope {
  readonly vars = new Map<string, number>();
  /** Fact-address variables bound by `?f <- (pattern)`, with the pattern's template. */
  readonly factTemplates = new Map<string, Template>();
  size = 0;

  constructor(
    /** Whether `bind` may create new variables (RHS and deffunction bodies). */
    readonly allowBind: boolean,
  ) {}

  declare(name: string): number {
    const i = this.vars.get(name);
    if (i !== undefined) return i;
    const idx = this.size++;
    this.vars.set(name, idx);
    return idx;
  }

  /** A frame index with no variable name (pattern temporaries). */
  temp(): number {
    return this.size++;
  }
}

export interface CompileContext {
  readonly host: CompileHost;
  readonly scope: Scope;
  /** e.g. `defrule MAIN::r1`, used in error messages. */
  readonly construct: string;
}

/** Thrown by `return` inside a deffunction body. */
export class ReturnSignal {
  constructor(readonly value: Value) {}
}
/** Thrown by `break` inside a loop. */
export class BreakSignal {}

const SPLICE = Symbol('splice');
type Spliced = { [SPLICE]: Multifield };

const err = (
  at: SExpr | SourceLocation,
  code: EngineError['code'],
  reason: string,
  c: CompileContext,
) => errorAt(at, reason, c.construct, code);

/** Compiles one expression. */
export function compileExpr(e: SExpr, c: CompileContext): Code {
  if (e.kind === 'atom') return compileAtom(e, c);
  return compileList(e, c);
}

/** Compiles a body of actions; the value of the last one is the body's value. */
export function compileBody(items: readonly SExpr[], c: CompileContext): Code {
  const codes = items.map((i) => compileExpr(i, c));
  if (codes.length === 0) return () => FALSE;
  if (codes.length === 1) return codes[0] as Code;
  return (f) => {
    let v: Value = FALSE;
    for (const code of codes) v = code(f);
    return v;
  };
}

function compileAtom(e: SAtom, c: CompileContext): Code {
  const t = e.tok;
  switch (t.kind) {
    case 'STRING':
    case 'SYMBOL':
    case 'INTEGER':
    case 'FLOAT': {
      const v = t.value as Atom;
      return () => v;
    }
    case 'SF_VAR':
    case 'MF_VAR': {
      const idx = c.scope.vars.get(t.text);
      if (idx === undefined) {
        throw err(e, 'NAU_ENGINE_UNBOUND_VARIABLE', `undefined variable ?${t.text}`, c);
      }
      return (f) => f[idx] as Value;
    }
    case 'GLOBAL':
    case 'MF_GLOBAL': {
      const g = c.host.findGlobal(t.text);
      if (g === undefined) {
        throw err(e, 'NAU_ENGINE_UNBOUND_VARIABLE', `undefined global variable ?${t.text}`, c);
      }
      return () => g.value;
    }
    default:
      throw err(e, 'NAU_ENGINE_SYNTAX', `unexpected '${t.text || t.kind}' in an expression`, c);
  }
}

function compileList(e: SList, c: CompileContext): Code {
  const name = headName(e);
  if (name === undefined) {
    throw err(e, 'NAU_ENGINE_SYNTAX', 'expected a function name after (', c);
  }
  const special = SPECIAL_FORMS[name];
  if (special !== undefined) return special(e, c);
  const def = c.host.findFunction(name);
  if (def === undefined) {
    throw err(e, 'NAU_ENGINE_UNKNOWN_FUNCTION', `unknown function ${name}`, c);
  }
  return compileCall(def, e, e.items.slice(1), c);
}

/** A call to a builtin, host function or deffunction with eagerly evaluated arguments. */
export function compileCall(
  def: FunctionDef,
  at: SExpr,
  argExprs: readonly SExpr[],
  c: CompileContext,
): Code {
  const spliced = argExprs.some((a) => headName(a) === 'expand$');
  if (!spliced) {
    try {
      checkArity(def, argExprs.length);
    } catch (x) {
      throw x instanceof EngineError ? x.at(at.loc, c.construct) : x;
    }
  }
  const args = argExprs.map((a) =>
    headName(a) === 'expand$' && isList(a) && a.items.length === 2
      ? spliceOf(compileExpr(a.items[1] as SExpr, c))
      : compileExpr(a, c),
  );
  const impl = def.impl;
  const host = c.host.functionHost;
  const n = args.length;
  const failure = (x: unknown): unknown => {
    if (x instanceof EngineError) return x.at(at.loc, c.construct);
    // Runaway recursion in a deffunction is a rule error, not a crash of the host.
    if (x instanceof RangeError) {
      return new EngineError('NAU_ENGINE_RUNTIME', `recursion too deep in function ${def.name}`, {
        location: at.loc,
        construct: c.construct,
      });
    }
    return x;
  };
  const call = (vals: Value[]): Value => {
    try {
      return impl(vals, host);
    } catch (x) {
      throw failure(x);
    }
  };
  const direct = def.direct;
  if (direct !== undefined && !spliced) {
    // A deffunction: the arguments go straight into its frame, in order, as `impl` would
    // copy them.
    return (f) => {
      const frame = new Array<Value>(direct.frameSize());
      for (let k = 0; k < n; k++) frame[k] = (args[k] as Code)(f);
      try {
        return direct.run(frame);
      } catch (x) {
        throw failure(x);
      }
    };
  }
  if (spliced) {
    return (f) => {
      const vals: Value[] = [];
      for (const a of args) {
        const v = a(f) as Value | Spliced;
        if (typeof v === 'object' && v !== null && SPLICE in v) vals.push(...v[SPLICE]);
        else vals.push(v as Value);
      }
      try {
        checkArity(def, vals.length);
      } catch (x) {
        throw x instanceof EngineError ? x.at(at.loc, c.construct) : x;
      }
      return call(vals);
    };
  }
  switch (n) {
    case 0:
      return () => call([]);
    case 1: {
      const a0 = args[0] as Code;
      const unary = def.unary;
      if (unary !== undefined && !spliced) {
        return (f) => {
          const v = a0(f);
          try {
            return unary(v);
          } catch (x) {
            throw failure(x);
          }
        };
      }
      return (f) => call([a0(f)]);
    }
    case 2: {
      const a0 = args[0] as Code;
      const a1 = args[1] as Code;
      const binary = def.binary;
      if (binary !== undefined && !spliced) {
        return (f) => {
          const v0 = a0(f);
          const v1 = a1(f);
          try {
            return binary(v0, v1);
          } catch (x) {
            throw failure(x);
          }
        };
      }
      return (f) => call([a0(f), a1(f)]);
    }
    default:
      return (f) => call(args.map((a) => a(f)));
  }
}

function spliceOf(code: Code): Code {
  return (f) => {
    const v = code(f);
    return { [SPLICE]: isMultifield(v) ? v : [v] } as unknown as Value;
  };
}

type SpecialForm = (e: SList, c: CompileContext) => Code;

function varName(e: SExpr | undefined): { name: string; global: boolean } | undefined {
  if (e?.kind !== 'atom') return undefined;
  const k = e.tok.kind;
  if (k === 'SF_VAR' || k === 'MF_VAR') return { name: e.tok.text, global: false };
  if (k === 'GLOBAL' || k === 'MF_GLOBAL') return { name: e.tok.text, global: true };
  return undefined;
}

/** The values of several expressions spliced into one multifield. */
function flatten(codes: readonly Code[]): (f: Value[]) => Atom[] {
  return (f) => {
    const out: Atom[] = [];
    for (const code of codes) {
      const v = code(f);
      if (isMultifield(v)) out.push(...v);
      else out.push(v);
    }
    return out;
  };
}

/** Values of several expressions as one: a single value, or a multifield of all of them. */
function multiValue(codes: Code[]): Code {
  return codes.length === 1 ? (codes[0] as Code) : flatten(codes);
}

function expectSymbol(e: SExpr | undefined, word: string): boolean {
  return e?.kind === 'atom' && e.tok.kind === 'SYMBOL' && e.tok.text === word;
}

const SPECIAL_FORMS: Record<string, SpecialForm> = {
  bind(e, c) {
    const target = varName(e.items[1]);
    if (target === undefined) throw err(e, 'NAU_ENGINE_SYNTAX', 'bind expects a variable', c);
    const value = multiValue(e.items.slice(2).map((i) => compileExpr(i, c)));
    if (target.global) {
      const g = c.host.findGlobal(target.name);
      if (g === undefined) {
        throw err(e, 'NAU_ENGINE_UNBOUND_VARIABLE', `undefined global variable ?${target.name}`, c);
      }
      return (f) => {
        g.value = value(f);
        return g.value;
      };
    }
    let idx = c.scope.vars.get(target.name);
    if (idx === undefined) {
      if (!c.scope.allowBind) {
        throw err(e, 'NAU_ENGINE_SYNTAX', `bind cannot create variable ?${target.name} here`, c);
      }
      idx = c.scope.declare(target.name);
    }
    const i = idx;
    return (f) => {
      const v = value(f);
      f[i] = v;
      return v;
    };
  },

  if(e, c) {
    const cond = compileExpr(need(e, 1, c), c);
    if (!expectSymbol(e.items[2], 'then')) throw err(e, 'NAU_ENGINE_SYNTAX', 'if expects then', c);
    const elseAt = e.items.findIndex((i, k) => k > 2 && expectSymbol(i, 'else'));
    const thenPart = compileBody(e.items.slice(3, elseAt < 0 ? undefined : elseAt), c);
    const elsePart = elseAt < 0 ? null : compileBody(e.items.slice(elseAt + 1), c);
    return (f) => (truthy(cond(f)) ? thenPart(f) : elsePart ? elsePart(f) : FALSE);
  },

  while(e, c) {
    const cond = compileExpr(need(e, 1, c), c);
    const start = expectSymbol(e.items[2], 'do') ? 3 : 2;
    const items = e.items.slice(start);
    const body = compileBody(items, c);
    return loop(items, (f) => {
      while (truthy(cond(f))) body(f);
    });
  },

  'loop-for-count'(e, c) {
    const spec = need(e, 1, c);
    let idx: number | null = null;
    let from: Code = () => 1n;
    let to: Code;
    if (isList(spec)) {
      const v = varName(spec.items[0]);
      if (v === undefined || v.global)
        throw err(spec, 'NAU_ENGINE_SYNTAX', 'loop-for-count expects (?var [start] end)', c);
      idx = c.scope.declare(v.name);
      if (spec.items.length === 2) to = compileExpr(spec.items[1] as SExpr, c);
      else {
        from = compileExpr(need(spec, 1, c), c);
        to = compileExpr(need(spec, 2, c), c);
      }
    } else {
      to = compileExpr(spec, c);
    }
    const start = expectSymbol(e.items[2], 'do') ? 3 : 2;
    const items = e.items.slice(start);
    const body = compileBody(items, c);
    const counter = idx;
    return loop(items, (f) => {
      const lo = toInt(from(f), 'loop-for-count');
      const hi = toInt(to(f), 'loop-for-count');
      for (let i = lo; i <= hi; i++) {
        if (counter !== null) f[counter] = i;
        body(f);
      }
    });
  },

  progn$(e, c) {
    return compileForeach(e, c, false);
  },

  foreach(e, c) {
    return compileForeach(e, c, true);
  },

  progn(e, c) {
    return compileBody(e.items.slice(1), c);
  },

  switch(e, c) {
    const subject = compileExpr(need(e, 1, c), c);
    const cases: Array<{ test: Code | null; body: Code }> = [];
    for (const item of e.items.slice(2)) {
      const h = headName(item);
      if (!isList(item) || (h !== 'case' && h !== 'default')) {
        throw err(item, 'NAU_ENGINE_SYNTAX', 'switch expects (case ...) or (default ...)', c);
      }
      if (h === 'case') {
        if (!expectSymbol(item.items[2], 'then'))
          throw err(item, 'NAU_ENGINE_SYNTAX', 'case expects then', c);
        cases.push({
          test: compileExpr(need(item, 1, c), c),
          body: compileBody(item.items.slice(3), c),
        });
      } else {
        cases.push({ test: null, body: compileBody(item.items.slice(1), c) });
      }
    }
    return (f) => {
      const v = subject(f);
      for (const k of cases) if (k.test === null || sameValue(v, k.test(f))) return k.body(f);
      return FALSE;
    };
  },

  and(e, c) {
    const parts = e.items.slice(1).map((i) => compileExpr(i, c));
    return (f) => {
      for (const p of parts) if (!truthy(p(f))) return FALSE;
      return TRUE;
    };
  },

  or(e, c) {
    const parts = e.items.slice(1).map((i) => compileExpr(i, c));
    return (f) => {
      for (const p of parts) if (truthy(p(f))) return TRUE;
      return FALSE;
    };
  },

  // In a rule RHS, return stops the RHS (CLIPS allows this); in a deffunction it returns.
  return(e, c) {
    const value = e.items.length > 1 ? compileExpr(e.items[1] as SExpr, c) : () => FALSE;
    return (f) => {
      throw new ReturnSignal(value(f));
    };
  },

  break() {
    return () => {
      throw new BreakSignal();
    };
  },

  assert(e, c) {
    const facts = e.items.slice(1).map((p) => compileFactSpec(p, c));
    if (facts.length === 0)
      throw err(e, 'NAU_ENGINE_SYNTAX', 'assert expects at least one fact', c);
    return (f) => {
      let last: Value = FALSE;
      for (const make of facts) {
        const [tmpl, slots] = make(f);
        last = c.host.assertSlots(tmpl, slots);
      }
      return last;
    };
  },

  'python-function'(e, c) {
    const target = e.items[1];
    const name =
      target?.kind === 'atom' && target.tok.kind === 'SYMBOL' ? target.tok.text : undefined;
    if (name === undefined)
      throw err(e, 'NAU_ENGINE_SYNTAX', 'python-function expects a function name', c);
    const def = c.host.findFunction(name);
    if (def === undefined)
      throw err(target as SExpr, 'NAU_ENGINE_UNKNOWN_FUNCTION', `unknown function ${name}`, c);
    return compileCall(def, e, e.items.slice(2), c);
  },

  modify(e, c) {
    return compileModify(e, c, false);
  },

  duplicate(e, c) {
    return compileModify(e, c, true);
  },
};

function need(e: SList, i: number, c: CompileContext): SExpr {
  const x = e.items[i];
  if (x === undefined)
    throw err(e, 'NAU_ENGINE_SYNTAX', `${headName(e)} is missing an argument`, c);
  return x;
}

function toInt(v: Value, fn: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  throw new EngineError('NAU_ENGINE_ARGUMENTS', `function ${fn} expected an integer`);
}

/** Whether a variable (or `break`) appears anywhere in some forms. */
function mentions(items: readonly SExpr[], name: string, kind: 'var' | 'symbol' = 'var'): boolean {
  return items.some((e) =>
    e.kind === 'list'
      ? mentions(e.items, name, kind)
      : e.tok.text === name && (kind === 'var' ? e.tok.kind === 'SF_VAR' : e.tok.kind === 'SYMBOL'),
  );
}

/** A loop's code; only a body that can `break` pays for catching it (return passes through). */
function loop(body: readonly SExpr[], run: (f: Value[]) => void): Code {
  if (!mentions(body, 'break', 'symbol')) {
    return (f) => {
      run(f);
      return FALSE;
    };
  }
  return (f) => {
    try {
      run(f);
    } catch (x) {
      if (!(x instanceof BreakSignal)) throw x;
    }
    return FALSE;
  };
}

function compileForeach(e: SList, c: CompileContext, isForeach: boolean): Code {
  // (progn$ (?x <multifield>) body) and (foreach ?x <multifield> body)
  let varAt: SExpr | undefined;
  let listAt: SExpr | undefined;
  let bodyFrom: number;
  if (isForeach) {
    varAt = e.items[1];
    listAt = e.items[2];
    bodyFrom = 3;
  } else {
    const spec = e.items[1];
    if (!isList(spec)) throw err(e, 'NAU_ENGINE_SYNTAX', 'progn$ expects (?var <multifield>)', c);
    varAt = spec.items[0];
    listAt = spec.items[1];
    bodyFrom = 2;
  }
  const v = varName(varAt);
  if (v === undefined || v.global || listAt === undefined) {
    throw err(e, 'NAU_ENGINE_SYNTAX', `${headName(e)} expects a variable and a multifield`, c);
  }
  const list = compileExpr(listAt, c);
  const idx = c.scope.declare(v.name);
  const bodyItems = e.items.slice(bodyFrom);
  // ?x-index is only maintained when the body reads it.
  const indexName = `${v.name}-index`;
  const indexVar = mentions(bodyItems, indexName) ? c.scope.declare(indexName) : null;
  const body = compileBody(bodyItems, c);
  return loop(bodyItems, (f) => {
    const m = list(f);
    const items = isMultifield(m) ? m : [m];
    for (let i = 0; i < items.length; i++) {
      f[idx] = items[i] as Atom;
      if (indexVar !== null) f[indexVar] = BigInt(i + 1);
      body(f);
    }
  });
}

/** Builds the template and slot values of one fact. */
export type FactBuilder = (frame: Value[]) => [Template, Value[]];

/** `(name v...)` for ordered facts or `(tmpl (slot v...) ...)`, as in assert and deffacts. */
export function compileFactSpec(p: SExpr, c: CompileContext): FactBuilder {
  const name = headName(p);
  if (!isList(p) || name === undefined)
    throw err(p, 'NAU_ENGINE_SYNTAX', 'assert expects a fact pattern such as (name ...)', c);
  const existing = c.host.findTemplate(name, false);
  if (existing === undefined || existing.implied) {
    const tmpl = existing ?? (c.host.findTemplate(name, true) as Template);
    const fields = flatten(p.items.slice(1).map((i) => compileExpr(i, c)));
    return (f) => [tmpl, [fields(f)]];
  }
  const tmpl = existing;
  const codes: Array<Code | null> = tmpl.slots.map(() => null);
  for (const item of p.items.slice(1)) {
    const { index, code } = compileSlotItem(tmpl, item, c);
    codes[index] = code;
  }
  const defs = tmpl.slots;
  const blank: Value[] = defs.map(() => FALSE);
  // A plain loop: no callback closure per assert (RHS asserts are on the hot path). The array
  // is a copy, not `new Array`: V8 may pretenure an allocation site whose facts lived long.
  return (f) => {
    const slots = blank.slice();
    for (let i = 0; i < defs.length; i++) {
      const code = codes[i];
      slots[i] = code ? code(f) : c.host.slotDefault(tmpl, defs[i] as SlotDef);
    }
    return [tmpl, slots];
  };
}

/** `(slot expr...)` of an assert/modify: the slot's index and its value code, type-checked. */
function compileSlotItem(
  tmpl: Template,
  item: SExpr,
  c: CompileContext,
): { index: number; code: Code } {
  const slotName = headName(item);
  if (!isList(item) || slotName === undefined) {
    throw err(item, 'NAU_ENGINE_SYNTAX', `expected (slot value) in template ${tmpl.name}`, c);
  }
  const index = tmpl.slotIndex.get(slotName);
  if (index === undefined) {
    throw err(item, 'NAU_ENGINE_UNKNOWN_SLOT', `template ${tmpl.name} has no slot ${slotName}`, c);
  }
  const slot = tmpl.slots[index] as SlotDef;
  const parts = item.items.slice(1);
  if (!slot.multi && parts.length !== 1) {
    throw err(
      item,
      'NAU_ENGINE_SLOT_TYPE',
      `slot ${slotName} of ${tmpl.name} takes exactly one value`,
      c,
    );
  }
  // Literal values are checked against the slot's constraints at build time, as CLIPS does.
  for (const part of parts) {
    if (part.kind === 'atom' && part.tok.value !== undefined) {
      try {
        checkSlotValue(tmpl, { ...slot, multi: false }, part.tok.value);
      } catch (x) {
        throw x instanceof EngineError ? x.at(part.loc, c.construct) : x;
      }
    }
  }
  const codes = parts.map((x) => compileExpr(x, c));
  const code: Code = slot.multi ? multislotValue(codes) : (codes[0] as Code);
  return { index, code };
}

/** A multislot's value from its expressions. A single expression giving a multifield (e.g.
 *  `(tags (create$ ...))` or `(tags ?t)`) is used as is, not copied: multifields are never
 *  changed in place, so a fact may share one with a variable or another fact. */
function multislotValue(codes: Code[]): Code {
  if (codes.length !== 1) return flatten(codes);
  const only = codes[0] as Code;
  return (f) => {
    const v = only(f);
    return isMultifield(v) ? v : [v];
  };
}

function compileModify(e: SList, c: CompileContext, keep: boolean): Code {
  const targetAt = need(e, 1, c);
  const target = compileExpr(targetAt, c);
  const items = e.items.slice(2);
  const compileFor = (tmpl: Template) => {
    if (tmpl.implied) {
      throw err(e, 'NAU_ENGINE_BUILD', `${headName(e)} cannot change ordered fact ${tmpl.name}`, c);
    }
    return items.map((i) => compileSlotItem(tmpl, i, c));
  };
  // The target is evaluated first, then the new values in order, then the fact is changed.
  const apply = (f: Value[], t: Value, list: SlotChanges) => {
    const codes = list.codes;
    const values = new Array<Value>(codes.length);
    for (let k = 0; k < codes.length; k++) values[k] = (codes[k] as Code)(f);
    return c.host.modifyFact(t, list.indexes, values, keep);
  };
  // A fact-address variable from a pattern has a known template: check slots at build time.
  const v = varName(targetAt);
  const known = v && !v.global ? c.scope.factTemplates.get(v.name) : undefined;
  if (known !== undefined) {
    const list = slotChanges(compileFor(known));
    return (f) => apply(f, target(f), list);
  }
  const perTemplate = new Map<Template, SlotChanges>();
  return (f) => {
    const t = target(f);
    const tmpl = c.host.factTemplate(t, headName(e) as string);
    let list = perTemplate.get(tmpl);
    if (list === undefined) {
      list = slotChanges(compileFor(tmpl));
      perTemplate.set(tmpl, list);
    }
    return apply(f, t, list);
  };
}

/** The slots a modify/duplicate sets and the code of each new value, as parallel arrays. */
interface SlotChanges {
  readonly indexes: readonly number[];
  readonly codes: readonly Code[];
}

function slotChanges(items: ReadonlyArray<{ index: number; code: Code }>): SlotChanges {
  return { indexes: items.map((i) => i.index), codes: items.map((i) => i.code) };
}
