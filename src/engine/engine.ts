// The Engine: working memory, constructs, the RETE network and the agenda behind one API.
// Deterministic: fact ids, activation order and gensyms depend only on the operations applied;
// the clock is injected; the only output is through the `write` router the host provides.
import { readFileSync } from 'node:fs';
import { Activation } from './agenda.ts';
import { builtinTable } from './builtins/index.ts';
import { registerCommands } from './commands.ts';
import { defineConstruct } from './constructs.ts';
import {
  convertValue,
  decodeValue,
  type Encoded,
  encodeValue,
  type JsValue,
  toValue,
} from './convert.ts';
import { EngineError } from './errors.ts';
import {
  BreakSignal,
  type CompileContext,
  type CompileHost,
  compileExpr,
  compileFactSpec,
  type GlobalVar,
  ReturnSignal,
  Scope,
} from './expr.ts';
import { Fact } from './fact.ts';
import { slotHash, slotsHash } from './fact-index.ts';
import { FactTable } from './fact-table.ts';
import { defineFunction, type FunctionDef, type FunctionHost } from './functions.ts';
import { findVisible, Module } from './module.ts';
import { Network } from './network.ts';
import { isList, Reader, type SExpr, type SList } from './reader.ts';
import { materialize, type NetworkHost, type TerminalNode } from './rete.ts';
import type { Disjunct, Rule } from './rule.ts';
import {
  checkSlotValue,
  impliedTemplate,
  type SlotDef,
  slotDefault,
  slotValueFits,
  Template,
} from './template.ts';
import type { Token } from './token.ts';
import { FALSE, isFactRef, sameValue, type Value } from './values.ts';

const hasOwn = Object.prototype.hasOwnProperty;

export interface EngineOptions {
  /** Seconds since the epoch, for `(time)` and timestamps; injected so runs are reproducible. */
  readonly clock?: () => number;
  /** Output router: printout and watch traces. Logical names `t`/`stdout` and `wtrace`. */
  readonly write?: (logicalName: string, text: string) => void;
  /** How `load` reads a file (defaults to the file system). */
  readonly readFile?: (path: string) => string;
  /** Firing limit used by `run()` without an explicit limit, so runaway rules cannot hang. */
  readonly maxFirings?: number;
}

/** One rule firing, as returned by `run()` and passed to `onFire` listeners. */
export interface Firing {
  readonly rule: string;
  readonly module: string;
  /** Fact ids matched by each pattern CE, in rule order; null for not/exists CEs. */
  readonly facts: ReadonlyArray<number | null>;
}

export interface RunResult {
  readonly fired: readonly Firing[];
  /** Why the run stopped: agenda empty, the firing limit, or `(halt)`. */
  readonly stopped: 'empty' | 'limit' | 'halt';
}

export interface FactFilter {
  readonly template?: string;
  /** Slot values that must match exactly (converted like assertFact's slots). */
  readonly where?: Readonly<Record<string, JsValue>>;
}

export interface Snapshot {
  readonly version: 1;
  readonly facts: ReadonlyArray<{ readonly template: string; readonly slots: Encoded[] }>;
}

export type HostFunction = (...args: Value[]) => Value | JsValue | undefined;

export interface WatchFlags {
  facts: boolean;
  rules: boolean;
  activations: boolean;
  focus: boolean;
}

export interface Deffacts {
  readonly name: string;
  readonly module: Module;
  readonly facts: ReadonlyArray<(f: Value[]) => Value>;
}

export class Engine implements CompileHost, NetworkHost {
  readonly watch: WatchFlags = { facts: false, rules: false, activations: false, focus: false };
  readonly functionHost: FunctionHost;

  /** Live facts by id. */
  private readonly wm = new FactTable();
  private nextFactId = 0;
  /** `templateFor`'s recent answers, one per name length mod 8: valid while the current
   *  module and the set of templates (`Template.created` counts them) stay the same. The name
   *  asked for is kept as given: callers pass the same (interned) string each time, and `===`
   *  on the same string is a pointer compare (the template's own name is another copy). */
  private readonly templateCacheNames = new Array<string | undefined>(8).fill(undefined);
  private readonly templateCache = new Array<Template | undefined>(8).fill(undefined);
  private templateCacheModule: Module | null = null;
  private templateCacheEpoch = -1;
  private ruleOrder = 0;
  private gensym = 1;
  private halted = false;
  private firedInRun = 0;
  /** Rules fired by the last run (read by the `(run)` command). */
  get lastRunCount(): number {
    return this.firedInRun;
  }

  private readonly fireListeners = new Set<(f: Firing) => void>();
  private readonly network = new Network();

  modules = new Map<string, Module>();
  currentModule!: Module;
  /** Module whose constructs are being compiled (name resolution). */
  compileModule!: Module;
  focusStack: Module[] = [];
  readonly rules = new Map<string, Rule>();
  readonly deffacts = new Map<string, Deffacts>();
  readonly globals = new Map<string, GlobalVar>();
  readonly deffunctions = new Map<string, FunctionDef>();
  private readonly hostFunctions = new Map<string, FunctionDef>();
  private readonly builtins = builtinTable();
  private readonly commands = new Map<string, FunctionDef>();

  readonly clock: () => number;
  readonly out: (logicalName: string, text: string) => void;
  private readonly readFile: (path: string) => string;
  readonly maxFirings: number;

  constructor(options: EngineOptions = {}) {
    this.clock = options.clock ?? (() => 0);
    this.out = options.write ?? (() => {});
    this.readFile = options.readFile ?? ((p) => readFileSync(p, 'utf8'));
    this.maxFirings = options.maxFirings ?? 1_000_000;
    this.functionHost = {
      now: () => this.clock(),
      nextGensym: () => this.gensym++,
      setGensym: (n) => {
        this.gensym = n;
      },
      write: (name, text) => this.write(name, text),
    };
    registerCommands(this, (def: FunctionDef) => this.commands.set(def.name, def));
    this.clear();
  }

  // ---- public API -------------------------------------------------------------------------

  /** Defines the constructs in `text` (deftemplate, defrule, ...). Commands are not allowed. */
  build(text: string, source = '<string>'): void {
    const reader = new Reader(text, source);
    for (let form = reader.read(); form !== null; form = reader.read()) {
      if (!this.isConstruct(form)) {
        throw new EngineError('NAU_ENGINE_SYNTAX', 'expected a construct such as (defrule ...)', {
          location: form.loc,
        });
      }
      this.defineForm(form as SList);
    }
  }

  /** Loads a file of constructs (like CLIPS `load`). */
  load(path: string): void {
    let text: string;
    try {
      text = this.readFile(path);
    } catch (x) {
      throw new EngineError('NAU_ENGINE_IO', `cannot read ${path}: ${(x as Error).message}`);
    }
    this.build(text, path);
  }

  /** Asserts a deftemplate fact (or an ordered fact with `implied`); returns the fact, or the
   *  existing identical fact (CLIPS does not assert duplicates). Slot values are type-checked. */
  assertFact(template: string, slots: Readonly<Record<string, JsValue>> = {}): Fact {
    const tmpl = this.templateFor(template);
    const values = this.slotValues(tmpl, slots, null);
    const r = this.assertSlots(tmpl, values);
    return r === FALSE ? (this.existing(tmpl, values) as Fact) : (r as Fact);
  }

  /** Asserts a fact written in CLIPS syntax, e.g. `(flag (n 1))` or `(color red)`. */
  assertString(text: string): Fact {
    const [tmpl, slots] = this.parseFact(text);
    const r = this.assertSlots(tmpl, slots);
    return r === FALSE ? (this.existing(tmpl, slots) as Fact) : (r as Fact);
  }

  /** The template and slot values of a fact written in CLIPS syntax. */
  parseFact(text: string): [Template, Value[]] {
    const form = new Reader(text, '<assert-string>').read();
    if (form === null || !isList(form)) {
      throw new EngineError('NAU_ENGINE_SYNTAX', `not a fact: ${text}`);
    }
    return compileFactSpec(form, this.context(new Scope(false), 'assert-string'))([]);
  }

  retract(id: number | Fact): void {
    const fact = typeof id === 'number' ? this.wm.get(id) : id;
    if (fact === undefined || fact.retracted) {
      throw new EngineError(
        'NAU_ENGINE_UNKNOWN_FACT',
        `fact f-${typeof id === 'number' ? id : id.id} does not exist`,
      );
    }
    this.retractFact(fact);
  }

  /** Replaces slot values (retract + assert with a new id, as CLIPS 6.30 does). */
  modify(id: number | Fact, slots: Readonly<Record<string, JsValue>>): Fact {
    const fact = typeof id === 'number' ? this.wm.get(id) : id;
    if (fact === undefined || fact.retracted) {
      throw new EngineError(
        'NAU_ENGINE_UNKNOWN_FACT',
        `fact f-${typeof id === 'number' ? id : id.id} does not exist`,
      );
    }
    const indexes: number[] = [];
    const values: Value[] = [];
    for (const [name, v] of Object.entries(slots)) {
      const index = fact.template.slotIndex.get(name);
      if (index === undefined) {
        throw new EngineError(
          'NAU_ENGINE_UNKNOWN_SLOT',
          `template ${fact.template.name} has no slot ${name}`,
        );
      }
      const def = fact.template.slots[index] as SlotDef;
      const value = toValue(v, def, `${fact.template.name}.${name}`);
      checkSlotValue(fact.template, def, value);
      indexes.push(index);
      values.push(value);
    }
    const r = this.modifyFact(fact, indexes, values, false);
    if (r === FALSE) {
      const slotsNow = fact.slots.slice();
      for (let k = 0; k < indexes.length; k++) slotsNow[indexes[k] as number] = values[k] as Value;
      return this.existing(fact.template, slotsNow) as Fact;
    }
    return r as Fact;
  }

  /** Runs rules until the agenda is empty, `limit` rules fired, or `(halt)`. */
  run(limit?: number): RunResult {
    const fired: Firing[] = [];
    const max = limit === undefined || limit < 0 ? this.maxFirings : limit;
    const stopped = this.runLoop(max, (f) => fired.push(f));
    return { fired, stopped };
  }

  /** Live facts in id order, optionally filtered by template and slot values. */
  facts(filter: FactFilter = {}): Fact[] {
    const out: Fact[] = [];
    const tmpl = filter.template === undefined ? undefined : this.knownTemplate(filter.template);
    const where =
      filter.where && tmpl
        ? Object.entries(filter.where).map(([k, v]) => {
            const i = tmpl.slotIndex.get(k);
            if (i === undefined)
              throw new EngineError(
                'NAU_ENGINE_UNKNOWN_SLOT',
                `template ${tmpl.name} has no slot ${k}`,
              );
            return [i, toValue(v, tmpl.slots[i] as SlotDef, `${tmpl.name}.${k}`)] as const;
          })
        : [];
    for (const f of tmpl ? tmpl.facts.values() : this.wm.values()) {
      if (where.every(([i, v]) => sameValue(f.slots[i] as Value, v))) out.push(f);
    }
    return out;
  }

  fact(id: number): Fact | undefined {
    return this.wm.get(id);
  }

  /** Number of facts in working memory (O(1)). */
  get factCount(): number {
    return this.wm.size;
  }

  /** The id the next asserted fact will get. Ids only grow, so the facts a run asserted are
   *  the live facts with ids from this value (read before the run) up to the one read after. */
  get nextId(): number {
    return this.nextFactId;
  }

  /** Pushes modules on the focus stack; the first argument ends on top, as in CLIPS. */
  focus(...modules: string[]): void {
    for (let i = modules.length - 1; i >= 0; i--)
      this.focusModule(this.moduleNamed(modules[i] as string));
  }

  /** Retracts every fact, asserts (initial-fact) and the deffacts, resets globals and focus. */
  reset(): void {
    // As CLIPS: drop every activation (traced in agenda order), flush the network, retract the
    // facts, then re-seed the rules (newest first) so LHS-less and not-first rules reactivate.
    for (const m of this.modules.values())
      for (const a of m.agenda.list()) this.deactivate(a.token);
    this.network.flush(this.rules.values(), this.wm.values());
    for (const f of [...this.wm.values()]) this.retractFact(f);
    this.nextFactId = 0;
    for (const m of this.modules.values()) m.agenda.clear();
    this.network.seed(this.rules.values());
    while (this.focusStack.length > 0) this.popFocus();
    this.focusModule(this.moduleNamed('MAIN'));
    // CLIPS's reset makes MAIN the current module again.
    this.currentModule = this.moduleNamed('MAIN');
    this.compileModule = this.currentModule;
    for (const g of this.globals.values()) g.value = g.init([]);
    this.assertSlots(this.initialFactTemplate(), [[]]);
    // Deffacts go module by module (definition order), then in definition order within one.
    for (const m of this.modules.values()) {
      for (const d of this.deffacts.values())
        if (d.module === m) for (const make of d.facts) make([]);
    }
  }

  /** Removes every construct and fact and starts over with only MAIN. */
  clear(): void {
    // CLIPS's clear drops the rules and their activations without tracing them.
    const tracing = this.watch.activations;
    this.watch.activations = false;
    try {
      for (const r of [...this.rules.values()]) this.removeRule(r);
    } finally {
      this.watch.activations = tracing;
    }
    this.wm.clear();
    this.modules = new Map();
    const main = new Module('MAIN', 0);
    this.modules.set('MAIN', main);
    this.currentModule = main;
    this.compileModule = main;
    this.focusStack = [main];
    this.deffacts.clear();
    this.globals.clear();
    this.deffunctions.clear();
    this.nextFactId = 0;
    this.ruleOrder = 0;
    // CLIPS 6.30 starts (and clears) with (initial-fact) already asserted.
    this.assertSlots(this.initialFactTemplate(), [[]]);
  }

  /** Registers a host function callable as `(name ...)` and `(python-function name ...)`. */
  registerFunction(
    name: string,
    fn: HostFunction,
    arity: { min?: number; max?: number } = {},
  ): void {
    this.hostFunctions.set(
      name,
      defineFunction(name, arity.min ?? 0, arity.max ?? -1, (args) => {
        let r: ReturnType<HostFunction>;
        try {
          // Facts and matches share multifield values (never copied while matching): the host
          // function gets its own copies, so it cannot alter a fact whatever it does.
          r = fn(...hostArgs(args));
        } catch (x) {
          // A failing host function is a rule error with a code, never a raw exception.
          if (x instanceof EngineError) throw x;
          throw new EngineError(
            'NAU_ENGINE_RUNTIME',
            `host function ${name} failed: ${x instanceof Error ? x.message : String(x)}`,
          );
        }
        return r === undefined ? FALSE : toValue(r as JsValue, null, `result of ${name}`);
      }),
    );
  }

  /** Calls `listener` after every rule firing that starts once it is registered; returns an
   *  unsubscribe function. */
  onFire(listener: (f: Firing) => void): () => void {
    this.fireListeners.add(listener);
    return () => this.fireListeners.delete(listener);
  }

  /** Serializes the chosen facts (type-preserving JSON) so `restore` can rebuild them. */
  snapshot(filter: (f: Fact) => boolean = () => true): Snapshot {
    const facts: Array<{ template: string; slots: Encoded[] }> = [];
    for (const f of this.wm.values()) {
      if (f.template.name === 'initial-fact' || !filter(f)) continue;
      facts.push({ template: templateRef(f.template), slots: f.slots.map(encodeValue) });
    }
    return { version: 1, facts };
  }

  /** Asserts the facts of a snapshot in their original order; matches rebuild as if they had
   *  been asserted live. Returns the new facts. */
  restore(snap: Snapshot): Fact[] {
    if (snap.version !== 1)
      throw new EngineError(
        'NAU_ENGINE_RUNTIME',
        `unsupported snapshot version ${String(snap.version)}`,
      );
    return snap.facts.map((entry, n) => {
      const tmpl = this.templateFor(entry.template);
      if (entry.slots.length !== tmpl.slots.length) {
        throw new EngineError(
          'NAU_ENGINE_SLOT_TYPE',
          `snapshot fact #${n} has ${entry.slots.length} slots, template ${tmpl.name} has ${tmpl.slots.length}`,
        );
      }
      const slots = entry.slots.map((s, i) => {
        const v = decodeValue(s);
        checkSlotValue(tmpl, tmpl.slots[i] as SlotDef, v);
        return v;
      });
      const r = this.assertSlots(tmpl, slots);
      return r === FALSE ? (this.existing(tmpl, slots) as Fact) : (r as Fact);
    });
  }

  /** Evaluates one expression or command in CLIPS syntax (used by the batch runner). */
  eval(form: SExpr): Value {
    const scope = new Scope(true);
    const code = compileExpr(form, this.context(scope, 'top-level'));
    try {
      return code(new Array<Value>(scope.size));
    } catch (x) {
      if (x instanceof ReturnSignal) return x.value;
      if (x instanceof BreakSignal) return FALSE;
      throw x;
    }
  }

  /** Defines a construct form; returns false when the form is not a construct. */
  isConstruct(form: SExpr): boolean {
    return (
      isList(form) &&
      CONSTRUCTS.has((form.items[0]?.kind === 'atom' && form.items[0].tok.text) || '')
    );
  }

  defineForm(form: SList): void {
    const saved = this.compileModule;
    try {
      defineConstruct(this, form);
    } finally {
      this.compileModule = this.currentModule === saved ? saved : this.currentModule;
    }
  }

  /** Agenda of the current focus (or MAIN), in firing order, for `(agenda)` and tests. */
  agenda(module?: string): Activation[] {
    const m = module ? this.moduleNamed(module) : (this.focusStack.at(-1) ?? this.currentModule);
    return m.agenda.list();
  }

  // ---- internals shared with constructs, commands and the network --------------------------

  write(logicalName: string, text: string): void {
    this.out(logicalName, text);
  }

  context(scope: Scope, construct: string): CompileContext {
    return { host: this, scope, construct };
  }

  moduleNamed(name: string): Module {
    const m = this.modules.get(name);
    if (m === undefined) throw new EngineError('NAU_ENGINE_BUILD', `unknown module ${name}`);
    return m;
  }

  focusModule(m: Module): void {
    const top = this.focusTop();
    if (top === m) return;
    this.focusStack.push(m);
    if (this.watch.focus)
      this.write('wtrace', `==> Focus ${m.name}${top ? ` from ${top.name}` : ''}\n`);
  }

  popFocus(): Module | undefined {
    const m = this.focusStack.pop();
    const top = this.focusTop();
    if (m && this.watch.focus)
      this.write('wtrace', `<== Focus ${m.name}${top ? ` to ${top.name}` : ''}\n`);
    return m;
  }

  /** The module on top of the focus stack (indexed: `at(-1)` is a builtin call per firing). */
  private focusTop(): Module | undefined {
    const stack = this.focusStack;
    return stack.length === 0 ? undefined : stack[stack.length - 1];
  }

  halt(): void {
    this.halted = true;
  }

  findFunction(name: string): FunctionDef | undefined {
    return (
      this.deffunctions.get(name) ??
      this.hostFunctions.get(name) ??
      this.builtins.get(name) ??
      this.commands.get(name)
    );
  }

  findGlobal(name: string): GlobalVar | undefined {
    return this.globals.get(name);
  }

  findTemplate(name: string, create: boolean): Template | undefined {
    const sep = name.indexOf('::');
    if (sep > 0) {
      const m = this.modules.get(name.slice(0, sep));
      return m?.templates.get(name.slice(sep + 2));
    }
    const from = this.compileModule;
    const found = findVisible(from, 'deftemplate', name, (m) => m.templates.get(name));
    if (found !== undefined || !create) return found;
    const t = impliedTemplate(name, from);
    from.templates.set(name, t);
    return t;
  }

  /** Resolves a template name for the API (any module; ordered facts created on demand). */
  private templateFor(name: string): Template {
    const cache = this.templateCache;
    const j = name.length & 7;
    if (
      this.templateCacheModule === this.currentModule &&
      this.templateCacheEpoch === Template.created
    ) {
      if (this.templateCacheNames[j] === name) return cache[j] as Template;
    } else {
      this.templateCacheNames.fill(undefined);
      cache.fill(undefined);
      this.templateCacheModule = this.currentModule;
      this.templateCacheEpoch = Template.created;
    }
    // A template of the current module itself is what `findTemplate` finds first: looked up
    // directly (no visibility walk, no save and restore of the compile module per assert). A
    // template is filed under its own name, so `own.bareName` says whether `name` has no `::`
    // (a qualified name goes to `findTemplate`) without scanning the string.
    const own = this.currentModule.templates.get(name);
    if (own?.bareName === true) {
      this.templateCacheNames[j] = name;
      cache[j] = own;
      return own;
    }
    const saved = this.compileModule;
    this.compileModule = this.currentModule;
    try {
      return this.findTemplate(name, true) as Template;
    } finally {
      this.compileModule = saved;
    }
  }

  /** A template visible from the current module; unlike `templateFor`, never creates one. */
  private knownTemplate(name: string): Template {
    const saved = this.compileModule;
    this.compileModule = this.currentModule;
    try {
      const t = this.findTemplate(name, false);
      if (t === undefined)
        throw new EngineError('NAU_ENGINE_UNKNOWN_TEMPLATE', `there is no template named ${name}`);
      return t;
    } finally {
      this.compileModule = saved;
    }
  }

  private initialFactTemplate(): Template {
    const main = this.moduleNamed('MAIN');
    let t = main.templates.get('initial-fact');
    if (t === undefined) {
      t = impliedTemplate('initial-fact', main);
      main.templates.set('initial-fact', t);
    }
    return t;
  }

  private slotValues(
    tmpl: Template,
    slots: Readonly<Record<string, JsValue>>,
    base: readonly Value[] | null,
  ): Value[] {
    // The given values are first placed at their slots' indexes, walking the object's own
    // keys (an unknown name fails before anything is converted, as the names come): reading
    // `slots[name]` for each slot instead would be a megamorphic keyed lookup per slot.
    // Callers pass their keys in the same order assert after assert: the template remembers
    // the last order (`keyNames`) and checks each key against it before the slotIndex lookup.
    const out = tmpl.unset.slice() as Array<JsValue | Value | undefined>;
    const names = tmpl.keyNames;
    let k = 0;
    for (const name in slots) {
      // hasOwnProperty.call: V8 optimizes it for for-in keys (Object.hasOwn measured slower).
      if (!hasOwn.call(slots, name)) continue;
      let i: number | undefined;
      if (names[k] === name) i = tmpl.keyIndexes[k] as number;
      else {
        i = tmpl.slotIndex.get(name);
        if (i === undefined) {
          throw new EngineError(
            'NAU_ENGINE_UNKNOWN_SLOT',
            `template ${tmpl.name} has no slot ${name}`,
          );
        }
        names[k] = name;
        tmpl.keyIndexes[k] = i;
      }
      k++;
      out[i] = slots[name];
    }
    // Then converted and checked in slot order (so is the first bad value reported).
    const defs = tmpl.slots;
    for (let i = 0; i < defs.length; i++) {
      const def = defs[i] as SlotDef;
      const given = out[i];
      if (given === undefined) {
        out[i] = base ? (base[i] as Value) : slotDefault(tmpl, def);
        continue;
      }
      const conversion = tmpl.conversions[i] as number;
      const v = convertValue(given as JsValue, conversion, tmpl.slotLabels[i] as string);
      if (!slotValueFits(tmpl, i, v)) checkSlotValue(tmpl, def, v);
      out[i] = v;
    }
    return out as Value[];
  }

  slotDefault(tmpl: Template, slot: SlotDef): Value {
    return slotDefault(tmpl, slot);
  }

  /** The live fact identical to these slot values, if any (CLIPS never holds duplicates). */
  private existing(tmpl: Template, slots: readonly Value[]): Fact | undefined {
    return tmpl.identical.find(slots, slotsHash(slots), this.wm);
  }

  /** Asserts a fact unless an identical one exists (then FALSE); `hash` is the slots'
   *  `slotsHash` when the caller already knows it. */
  assertSlots(tmpl: Template, slots: Value[], hash = slotsHash(slots)): Value {
    if (tmpl.identical.find(slots, hash, this.wm) !== undefined) return FALSE;
    const fact = new Fact(this.nextFactId++, tmpl, slots, hash);
    this.wm.add(fact);
    tmpl.identical.add(fact);
    tmpl.facts.add(fact);
    if (this.watch.facts) this.write('wtrace', `==> ${factLabel(fact.id)}${fact.toString()}\n`);
    try {
      this.network.propagateAssert(tmpl, fact);
    } catch (x) {
      // The network rolled its part back; the fact leaves working memory again.
      fact.retracted = true;
      this.wm.delete(fact);
      tmpl.identical.delete(fact);
      tmpl.facts.delete(fact);
      throw x;
    }
    return fact;
  }

  retractFact(fact: Fact): void {
    if (fact.retracted) return;
    if (this.watch.facts) this.write('wtrace', `<== ${factLabel(fact.id)}${fact.toString()}\n`);
    fact.retracted = true;
    this.wm.delete(fact);
    fact.template.identical.delete(fact);
    fact.template.facts.delete(fact);
    this.network.propagateRetract(fact);
  }

  resolveFact(target: Value, fn: string): Fact {
    if (isFactRef(target)) {
      const f = target as Fact;
      if (f.retracted)
        throw new EngineError(
          'NAU_ENGINE_UNKNOWN_FACT',
          `${fn}: fact f-${f.id} has been retracted`,
        );
      return f;
    }
    if (typeof target === 'bigint') {
      const f = this.wm.get(Number(target));
      if (f === undefined)
        throw new EngineError('NAU_ENGINE_UNKNOWN_FACT', `${fn}: fact f-${target} does not exist`);
      return f;
    }
    throw new EngineError('NAU_ENGINE_ARGUMENTS', `${fn} expects a fact address or a fact index`);
  }

  factTemplate(target: Value, fn: string): Template {
    return this.resolveFact(target, fn).template;
  }

  modifyFact(
    target: Value,
    indexes: readonly number[],
    values: readonly Value[],
    keep: boolean,
  ): Value {
    const fact = this.resolveFact(target, keep ? 'duplicate' : 'modify');
    const slots = fact.slots.slice();
    // The new hash from the old one: only the slots whose value changes are hashed (a value
    // that is the very same object, e.g. an unchanged multifield, costs nothing).
    let hash = fact.hash;
    for (let k = 0; k < indexes.length; k++) {
      const i = indexes[k] as number;
      const v = values[k] as Value;
      const old = slots[i] as Value;
      if (old === v) continue;
      hash = (hash - slotHash(old, i) + slotHash(v, i)) | 0;
      slots[i] = v;
    }
    if (!keep) this.retractFact(fact);
    return this.assertSlots(fact.template, slots, hash);
  }

  activate(terminal: TerminalNode, token: Token): void {
    const d = terminal.disjunct as Disjunct;
    const rule = d.rule;
    const act = new Activation(d, token, rule.salience);
    token.activation = act;
    rule.module.agenda.add(act);
    if (this.watch.activations) {
      this.write(
        'wtrace',
        `==> Activation ${String(rule.salience).padEnd(6)} ${rule.name}: ${basisText(token)}\n`,
      );
    }
    if (rule.autoFocus) this.focusModule(rule.module);
  }

  deactivate(token: Token): void {
    const act = token.activation as Activation;
    token.activation = null;
    if (act.dead) return;
    act.rule.module.agenda.remove(act);
    if (this.watch.activations) {
      this.write(
        'wtrace',
        `<== Activation ${String(act.salience).padEnd(6)} ${act.rule.name}: ${basisText(token)}\n`,
      );
    }
  }

  addRule(rule: Rule): void {
    const old = this.rules.get(ruleKey(rule.module.name, rule.name));
    if (old) this.removeRule(old);
    this.rules.set(ruleKey(rule.module.name, rule.name), rule);
    this.network.attach(rule);
  }

  removeRule(rule: Rule): void {
    this.rules.delete(ruleKey(rule.module.name, rule.name));
    this.network.detach(rule);
  }

  nextRuleOrder(): number {
    return this.ruleOrder++;
  }

  /** The fire loop shared by `run()` and the `(run)` command. */
  runLoop(limit: number, onFiring?: (f: Firing) => void): RunResult['stopped'] {
    // Each rule's RHS runs with its module as the current module; the caller's is restored.
    const current = this.currentModule;
    try {
      return this.fireUntil(limit, onFiring);
    } finally {
      this.currentModule = current;
      this.compileModule = current;
    }
  }

  private fireUntil(limit: number, onFiring?: (f: Firing) => void): RunResult['stopped'] {
    this.halted = false;
    this.firedInRun = 0;
    if (this.focusStack.length === 0) this.focusModule(this.moduleNamed('MAIN'));
    while (this.firedInRun < limit) {
      const top = this.focusTop();
      if (top === undefined) return 'empty';
      const act = top.agenda.pop();
      if (act === undefined) {
        this.popFocus();
        continue;
      }
      // A fired activation is gone for good (refraction): the token need not keep it alive.
      act.token.activation = null;
      const firing = this.fire(act, onFiring !== undefined);
      if (firing !== null) onFiring?.(firing);
      if (this.halted) {
        this.halted = false;
        return 'halt';
      }
    }
    return this.focusStack.some((m) => m.agenda.size > 0) ? 'limit' : 'empty';
  }

  /** Fires one activation; describes the firing only when someone asked for it. */
  private fire(act: Activation, describe: boolean): Firing | null {
    this.firedInRun++;
    const token = act.token;
    const rule = act.rule;
    if (this.watch.rules) {
      this.write(
        'wtrace',
        `FIRE ${String(this.firedInRun).padStart(4)} ${rule.name}: ${basisText(token)}\n`,
      );
    }
    // The match is described before the RHS runs: a retract there removes the token, and a
    // removed token is reused for other matches.
    // Listeners registered when the firing starts hear it (not one its actions register).
    const listeners = this.fireListeners.size > 0 ? [...this.fireListeners] : null;
    const ids = describe || listeners !== null ? token.basisIds() : null;
    const frame = materialize(token, act.disjunct.blank.slice());
    this.currentModule = rule.module;
    this.compileModule = rule.module;
    try {
      act.disjunct.rhs(frame);
    } catch (x) {
      if (!(x instanceof ReturnSignal) && !(x instanceof BreakSignal)) {
        this.halted = false;
        if (x instanceof EngineError) {
          throw new EngineError(x.code, x.reason, {
            ...x.detail,
            rule: `${rule.module.name}::${rule.name}`,
          });
        }
        throw x;
      }
    }
    if (this.halted && this.watch.rules) {
      this.write(
        'wtrace',
        `[PRCCODE4] Execution halted during the actions of defrule ${rule.name}.\n`,
      );
    }
    if (ids === null) return null;
    const firing: Firing = { rule: rule.name, module: rule.module.name, facts: ids };
    if (listeners !== null) for (const l of listeners) l(firing);
    return firing;
  }
}

/** A host function's arguments: its own copy of each multifield, so it cannot alter a fact
 *  whatever it does (the arguments themselves are passed on as they are when there is none). */
function hostArgs(args: Value[]): Value[] {
  for (let i = 0; i < args.length; i++) {
    if (Array.isArray(args[i])) return args.map((a) => (Array.isArray(a) ? a.slice() : a));
  }
  return args;
}

const CONSTRUCTS = new Set([
  'deftemplate',
  'deffacts',
  'defrule',
  'deffunction',
  'defglobal',
  'defmodule',
]);

function ruleKey(module: string, name: string): string {
  return `${module}::${name}`;
}

function templateRef(t: Template): string {
  return t.module.name === 'MAIN' ? t.name : `${t.module.name}::${t.name}`;
}

/** `f-1     ` : the fact label padded to 8 columns as CLIPS prints it. */
export function factLabel(id: number): string {
  const s = `f-${id}`;
  return s.length >= 8 ? `${s} ` : s.padEnd(8);
}

/** The partial match as CLIPS prints it: `f-1,*,f-3`; a match with no CE shown prints `*`. */
export function basisText(token: Token): string {
  const basis = token.basis();
  if (basis.length === 0) return '*';
  return basis.map((b) => (b === '*' ? '*' : `f-${b.id}`)).join(',');
}
