// Parsing and defining the constructs: deftemplate, deffacts, defrule, deffunction, defglobal,
// defmodule. Every error names the construct and the location of the offending form.
import type { Engine } from './engine.ts';
import { EngineError, errorAt } from './errors.ts';
import {
  type Code,
  compileBody,
  compileExpr,
  compileFactSpec,
  ReturnSignal,
  Scope,
} from './expr.ts';
import { defineFunction, type FunctionDef } from './functions.ts';
import { Module, type PortSpec } from './module.ts';
import { headName, isList, type SExpr, type SList, symbolName } from './reader.ts';
import { buildRule } from './rule.ts';
import { atomViolation, expandTypeKeyword, type SlotDef, Template } from './template.ts';
import { type Atom, displayForm, isMultifield, type TypeName, type Value } from './values.ts';

/** A symbol's text, or `?NAME` for the keywords ?ALL, ?NONE, ?DERIVE, ?VARIABLE. */
function word(e: SExpr | undefined): string | undefined {
  if (e?.kind === 'atom' && e.tok.kind === 'SF_VAR') return `?${e.tok.text}`;
  return symbolName(e);
}

/** `MOD::name` -> module and bare name; a bare name lives in the current module. */
function splitName(engine: Engine, full: string, at: SExpr, construct: string): [Module, string] {
  const sep = full.indexOf('::');
  if (sep < 0) return [engine.currentModule, full];
  const m = engine.modules.get(full.slice(0, sep));
  if (m === undefined)
    throw errorAt(at, `unknown module ${full.slice(0, sep)}`, construct, 'NAU_ENGINE_BUILD');
  return [m, full.slice(sep + 2)];
}

export function defineConstruct(engine: Engine, form: SList): void {
  const kind = headName(form) as string;
  if (kind === 'defglobal') {
    defineGlobals(engine, form);
    return;
  }
  const nameAt = form.items[1];
  const full = symbolName(nameAt);
  if (full === undefined || nameAt === undefined)
    throw errorAt(form, `${kind} expects a name`, kind);
  if (kind === 'defmodule') {
    defineModule(engine, form, full);
    return;
  }
  const [module, name] = splitName(engine, full, nameAt, `${kind} ${full}`);
  engine.compileModule = module;
  const construct = `${kind} ${module.name}::${name}`;
  try {
    switch (kind) {
      case 'deftemplate':
        defineTemplate(engine, form, module, name, construct);
        break;
      case 'deffacts':
        defineDeffacts(engine, form, module, name, construct);
        break;
      case 'defrule':
        engine.addRule(
          buildRule(form, name, module, engine.nextRuleOrder(), ruleEnv(engine, construct)),
        );
        break;
      case 'deffunction':
        defineFunctionConstruct(engine, form, name, construct);
        break;
    }
  } catch (x) {
    throw x instanceof EngineError ? x.at(form.loc, construct) : x;
  }
}

function ruleEnv(engine: Engine, construct: string) {
  return {
    network: engine,
    ctx: (scope: Scope) => engine.context(scope, construct),
    evalConstant: (e: SExpr, c: ReturnType<Engine['context']>) => compileExpr(e, c)([]),
  };
}

/** Items after the name, skipping an optional comment string. */
function body(form: SList): SExpr[] {
  const rest = form.items.slice(2);
  const first = rest[0];
  if (first?.kind === 'atom' && first.tok.kind === 'STRING') rest.shift();
  return rest;
}

// ---- deftemplate ----------------------------------------------------------------------------

function defineTemplate(
  engine: Engine,
  form: SList,
  module: Module,
  name: string,
  construct: string,
): void {
  const slots: SlotDef[] = [];
  for (const item of body(form)) {
    const kind = headName(item);
    if (
      !isList(item) ||
      (kind !== 'slot' && kind !== 'multislot' && kind !== 'field' && kind !== 'multifield')
    ) {
      throw errorAt(item, 'expected (slot name ...) or (multislot name ...)', construct);
    }
    const slotName = symbolName(item.items[1]);
    if (slotName === undefined) throw errorAt(item, `${kind} expects a name`, construct);
    if (slots.some((s) => s.name === slotName))
      throw errorAt(item, `slot ${slotName} is defined twice`, construct, 'NAU_ENGINE_BUILD');
    slots.push(
      parseSlot(engine, item, slotName, kind === 'multislot' || kind === 'multifield', construct),
    );
  }
  const existing = module.templates.get(name);
  if (existing && existing.listeners.length > 0) {
    throw errorAt(
      form,
      `template ${name} is in use by rules and cannot be redefined`,
      construct,
      'NAU_ENGINE_BUILD',
    );
  }
  module.templates.set(name, new Template(name, module, slots, false));
}

const ALLOWED: Record<string, TypeName | 'ANY' | 'LEXEME' | 'NUMBER'> = {
  'allowed-values': 'ANY',
  'allowed-symbols': 'SYMBOL',
  'allowed-strings': 'STRING',
  'allowed-lexemes': 'LEXEME',
  'allowed-integers': 'INTEGER',
  'allowed-floats': 'FLOAT',
  'allowed-numbers': 'NUMBER',
};

function parseSlot(
  engine: Engine,
  item: SList,
  name: string,
  multi: boolean,
  construct: string,
): SlotDef {
  let types: Set<TypeName> | null = null;
  let allowed: Map<string, Set<string>> | null = null;
  const allowedList: Atom[] = [];
  let defaultKind: SlotDef['defaultKind'] = 'derive';
  let defaultExprs: SExpr[] = [];
  let dynamic = false;
  for (const attr of item.items.slice(2)) {
    const a = headName(attr);
    if (!isList(attr) || a === undefined)
      throw errorAt(attr, `expected a slot attribute in slot ${name}`, construct);
    const args = attr.items.slice(1);
    if (a === 'type') {
      types = new Set();
      for (const t of args) {
        const expanded = expandTypeKeyword(word(t) ?? '');
        if (expanded === null)
          throw errorAt(t, `unknown type ${displayArg(t)} in slot ${name}`, construct);
        for (const x of expanded) types.add(x);
      }
    } else if (a in ALLOWED) {
      allowed ??= new Map();
      const key = ALLOWED[a] as string;
      const set = allowed.get(key) ?? new Set<string>();
      for (const v of args) {
        if (v.kind !== 'atom' || v.tok.value === undefined)
          throw errorAt(v, `${a} expects constants`, construct);
        set.add(displayForm(v.tok.value));
        allowedList.push(v.tok.value);
      }
      allowed.set(key, set);
    } else if (a === 'default' || a === 'default-dynamic') {
      const kw = word(args[0]);
      if (a === 'default' && kw === '?NONE') defaultKind = 'none';
      else if (a === 'default' && kw === '?DERIVE') defaultKind = 'derive';
      else {
        defaultKind = a === 'default' ? 'static' : 'dynamic';
        dynamic = a === 'default-dynamic';
        defaultExprs = args;
      }
    } else {
      throw errorAt(
        attr,
        `unsupported slot attribute ${a} in slot ${name}`,
        construct,
        'NAU_ENGINE_BUILD',
      );
    }
  }
  const def: SlotDef = {
    name,
    multi,
    types,
    allowed: allowed as SlotDef['allowed'],
    allowedList,
    defaultKind,
    defaultValue: null,
    defaultCode: null,
  };
  // A literal that can never satisfy the slot's own constraints is a build error (CSTRNCHK1).
  if (defaultKind === 'static' || defaultKind === 'dynamic') {
    for (const e of defaultExprs) {
      if (e.kind === 'atom' && e.tok.value !== undefined) {
        const why = atomViolation(def, e.tok.value);
        if (why !== null) throw errorAt(e, `default ${why}`, construct, 'NAU_ENGINE_SLOT_TYPE');
      }
    }
    const codes = defaultExprs.map((e) =>
      compileExpr(e, engine.context(new Scope(false), construct)),
    );
    const code: () => Value = () => {
      const vals = codes.map((k) => k([]));
      if (multi) return vals.flatMap((v) => (isMultifield(v) ? [...v] : [v]));
      if (vals.length !== 1) {
        throw new EngineError(
          'NAU_ENGINE_SLOT_TYPE',
          `default of single-field slot ${name} must be one value`,
        );
      }
      return vals[0] as Value;
    };
    if (dynamic) def.defaultCode = code;
    else def.defaultValue = code();
  }
  return def;
}

function displayArg(e: SExpr): string {
  return e.kind === 'atom' ? e.tok.text : '(...)';
}

// ---- deffacts -------------------------------------------------------------------------------

function defineDeffacts(
  engine: Engine,
  form: SList,
  module: Module,
  name: string,
  construct: string,
): void {
  const c = engine.context(new Scope(false), construct);
  const builders = body(form).map((p) => compileFactSpec(p, c));
  engine.deffacts.set(`${module.name}::${name}`, {
    name,
    module,
    facts: builders.map((b) => (f: Value[]) => {
      const [tmpl, slots] = b(f);
      return engine.assertSlots(tmpl, slots);
    }),
  });
}

// ---- deffunction ----------------------------------------------------------------------------

function defineFunctionConstruct(
  engine: Engine,
  form: SList,
  name: string,
  construct: string,
): void {
  const items = body(form);
  const params = items[0];
  if (!isList(params)) throw errorAt(form, 'deffunction expects a parameter list', construct);
  const scope = new Scope(true);
  let min = 0;
  let wildcard: number | null = null;
  for (const p of params.items) {
    if (p.kind !== 'atom' || (p.tok.kind !== 'SF_VAR' && p.tok.kind !== 'MF_VAR')) {
      throw errorAt(p, 'parameters must be ?name or a final $?name', construct);
    }
    if (wildcard !== null) throw errorAt(p, 'the $? wildcard parameter must be last', construct);
    const idx = scope.declare(p.tok.text);
    if (p.tok.kind === 'MF_VAR') wildcard = idx;
    else min++;
  }
  if (engine.findFunction(name) && !engine.deffunctions.has(name)) {
    throw errorAt(form, `cannot redefine the function ${name}`, construct, 'NAU_ENGINE_BUILD');
  }
  // Register first so the body can call the function recursively.
  let bodyCode: Code = () => [];
  const run = (frame: Value[]): Value => {
    try {
      return bodyCode(frame);
    } catch (x) {
      if (x instanceof ReturnSignal) return x.value;
      throw x;
    }
  };
  const impl = (args: Value[]): Value => {
    const frame = new Array<Value>(scope.size);
    for (let i = 0; i < min; i++) frame[i] = args[i] as Value;
    if (wildcard !== null) {
      const rest: Atom[] = [];
      for (let i = min; i < args.length; i++) {
        const v = args[i] as Value;
        if (isMultifield(v)) rest.push(...v);
        else rest.push(v);
      }
      frame[wildcard] = rest;
    }
    return run(frame);
  };
  const def: FunctionDef =
    wildcard === null
      ? { ...defineFunction(name, min, min, impl), direct: { frameSize: () => scope.size, run } }
      : defineFunction(name, min, -1, impl);
  const previous = engine.deffunctions.get(name);
  engine.deffunctions.set(name, def);
  try {
    bodyCode = compileBody(items.slice(1), engine.context(scope, construct));
  } catch (x) {
    if (previous) engine.deffunctions.set(name, previous);
    else engine.deffunctions.delete(name);
    throw x;
  }
}

// ---- defglobal ------------------------------------------------------------------------------

function defineGlobals(engine: Engine, form: SList): void {
  let items = form.items.slice(1);
  if (symbolName(items[0]) !== undefined) items = items.slice(1); // optional module name
  for (let i = 0; i < items.length; i += 3) {
    const v = items[i];
    const eq = items[i + 1];
    const valueAt = items[i + 2];
    if (
      v?.kind !== 'atom' ||
      v.tok.kind !== 'GLOBAL' ||
      symbolName(eq) !== '=' ||
      valueAt === undefined
    ) {
      throw errorAt(v ?? form, 'defglobal expects ?*name* = value', 'defglobal');
    }
    const construct = `defglobal ?*${v.tok.text}*`;
    const init = compileExpr(valueAt, engine.context(new Scope(false), construct));
    const existing = engine.globals.get(v.tok.text);
    if (existing) {
      existing.init = init;
      existing.value = init([]);
    } else {
      engine.globals.set(v.tok.text, { name: v.tok.text, init, value: init([]) });
    }
  }
}

// ---- defmodule ------------------------------------------------------------------------------

function defineModule(engine: Engine, form: SList, name: string): void {
  const construct = `defmodule ${name}`;
  let module = engine.modules.get(name);
  if (module === undefined) {
    module = new Module(name, engine.modules.size);
  } else if (name !== 'MAIN') {
    throw errorAt(form, `module ${name} is already defined`, construct, 'NAU_ENGINE_BUILD');
  }
  for (const spec of body(form)) {
    const kind = headName(spec);
    if (!isList(spec) || (kind !== 'export' && kind !== 'import')) {
      throw errorAt(spec, 'defmodule expects (export ...) or (import MODULE ...)', construct);
    }
    if (kind === 'export') {
      module.exports = parsePort(spec.items.slice(1), spec, construct);
    } else {
      const fromName = symbolName(spec.items[1]);
      const from = fromName === undefined ? undefined : engine.modules.get(fromName);
      if (from === undefined)
        throw errorAt(
          spec,
          `import from unknown module ${fromName ?? '?'}`,
          construct,
          'NAU_ENGINE_BUILD',
        );
      if (from.exports === null)
        throw errorAt(
          spec,
          `module ${from.name} does not export any constructs`,
          construct,
          'NAU_ENGINE_BUILD',
        );
      module.imports.push({ from, ...parsePort(spec.items.slice(2), spec, construct) });
    }
  }
  engine.modules.set(name, module);
  engine.currentModule = module;
  engine.compileModule = module;
}

function parsePort(items: readonly SExpr[], at: SList, construct: string): PortSpec {
  const first = word(items[0]);
  if (first === '?ALL' && items.length === 1) return { all: true, byType: new Map() };
  if (first === '?NONE' && items.length === 1) return { all: false, byType: new Map() };
  const type = first;
  if (type === undefined || !['deftemplate', 'deffunction', 'defglobal'].includes(type)) {
    throw errorAt(
      at,
      'expected ?ALL, ?NONE or a construct type (deftemplate, deffunction, defglobal)',
      construct,
    );
  }
  const rest = items.slice(1).map((x) => word(x) ?? '');
  const byType = new Map<string, 'all' | ReadonlySet<string>>();
  byType.set(type, rest.length === 1 && rest[0] === '?ALL' ? 'all' : new Set(rest));
  return { all: false, byType };
}
