// The Engine: working memory, constructs, the RETE network and the agenda behind one API.
// Deterministic: fact ids, activation order and gensyms depend only on the operations applied;
// the clock is injected; the only output is through the `write` router the host provides.
import { readFileSync } from 'node:fs';
import { Activation } from './agenda.ts';
import { builtinTable } from './builtins/index.ts';
import { registerCommands } from './commands.ts';
import { defineConstruct } from './constructs.ts';
import { decodeValue, type Encoded, encodeValue, type JsValue, toValue } from './convert.ts';
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
import { Fact, factKey } from './fact.ts';
import { defineFunction, type FunctionDef, type FunctionHost } from './functions.ts';
import { findVisible, Module } from './module.ts';
import { isList, Reader, type SExpr, type SList } from './reader.ts';
import {
  AlphaMemory,
  inFlight,
  NegationNode,
  type NetworkHost,
  type PatternNode,
  removeToken,
  TerminalNode,
  TestNode,
} from './rete.ts';
import type { Disjunct, Rule } from './rule.ts';
import {
  checkSlotValue,
  impliedTemplate,
  type SlotDef,
  slotDefault,
  type Template,
} from './template.ts';
import type { AlphaEntry, Token } from './token.ts';
import { FALSE, isFactRef, isMultifield, sameValue, type Value } from './values.ts';

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

  /** Live facts by id, in assertion order. */
  private readonly wm = new Map<number, Fact>();
  private nextFactId = 0;
  private ruleOrder = 0;
  private gensym = 1;
  private halted = false;
  private firedInRun = 0;
  /** Rules fired by the last run (read by the `(run)` command). */
  get lastRunCount(): number {
    return this.firedInRun;
  }

  private readonly fireListeners = new Set<(f: Firing) => void>();
  /** CLIPS shares joins between rules with equal LHS prefixes; their creation order decides
   *  the order in which an assert visits rules, so it is tracked per prefix. */
  private readonly joinOrders = new Map<string, { order: number; refs: number }>();
  private joinCounter = 0;
  private readonly alphaMemories = new Map<string, AlphaMemory>();

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
    const form = new Reader(text, '<assert-string>').read();
    if (form === null || !isList(form))
      throw new EngineError('NAU_ENGINE_SYNTAX', `not a fact: ${text}`);
    const [tmpl, slots] = compileFactSpec(
      form,
      this.context(new Scope(false), 'assert-string'),
    )([]);
    const r = this.assertSlots(tmpl, slots);
    return r === FALSE ? (this.existing(tmpl, slots) as Fact) : (r as Fact);
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
    const updates = Object.entries(slots).map(([name, v]) => {
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
      return [index, value] as const;
    });
    const r = this.modifyFact(fact, updates, false);
    if (r === FALSE) {
      const slotsNow = fact.slots.slice();
      for (const [i, v] of updates) slotsNow[i] = v;
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
    const tmpl = filter.template === undefined ? undefined : this.templateFor(filter.template);
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
    for (const f of tmpl ? tmpl.facts : this.wm.values()) {
      if (where.every(([i, v]) => sameValue(f.slots[i] as Value, v))) out.push(f);
    }
    return out;
  }

  fact(id: number): Fact | undefined {
    return this.wm.get(id);
  }

  /** Pushes modules on the focus stack; the first argument ends on top, as in CLIPS. */
  focus(...modules: string[]): void {
    for (const name of [...modules].reverse()) this.focusModule(this.moduleNamed(name));
  }

  /** Retracts every fact, asserts (initial-fact) and the deffacts, resets globals and focus. */
  reset(): void {
    // As CLIPS: drop every activation (traced in agenda order), flush the network, retract the
    // facts, then re-seed the rules (newest first) so LHS-less and not-first rules reactivate.
    for (const m of this.modules.values())
      for (const a of m.agenda.list()) this.deactivate(a.token);
    this.flushNetwork();
    for (const f of [...this.wm.values()]) this.retractFact(f);
    this.nextFactId = 0;
    for (const m of this.modules.values()) m.agenda.clear();
    this.seedRules();
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
    for (const r of [...this.rules.values()]) this.removeRule(r);
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
        const r = fn(...args);
        return r === undefined ? FALSE : toValue(r as JsValue, null, `result of ${name}`);
      }),
    );
  }

  /** Calls `listener` after every rule firing; returns an unsubscribe function. */
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
    const top = this.focusStack.at(-1);
    if (top === m) return;
    this.focusStack.push(m);
    if (this.watch.focus)
      this.write('wtrace', `==> Focus ${m.name}${top ? ` from ${top.name}` : ''}\n`);
  }

  popFocus(): Module | undefined {
    const m = this.focusStack.pop();
    const top = this.focusStack.at(-1);
    if (m && this.watch.focus)
      this.write('wtrace', `<== Focus ${m.name}${top ? ` to ${top.name}` : ''}\n`);
    return m;
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
    const saved = this.compileModule;
    this.compileModule = this.currentModule;
    try {
      return this.findTemplate(name, true) as Template;
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
    for (const k of Object.keys(slots)) {
      if (!tmpl.slotIndex.has(k)) {
        throw new EngineError('NAU_ENGINE_UNKNOWN_SLOT', `template ${tmpl.name} has no slot ${k}`);
      }
    }
    return tmpl.slots.map((def, i) => {
      const given = slots[def.name];
      if (given === undefined) return base ? (base[i] as Value) : slotDefault(tmpl, def);
      const v = toValue(given, def, `${tmpl.name}.${def.name}`);
      checkSlotValue(tmpl, def, v);
      return v;
    });
  }

  slotDefault(tmpl: Template, slot: SlotDef): Value {
    return slotDefault(tmpl, slot);
  }

  /** The live fact identical to these slot values, if any (CLIPS never holds duplicates). */
  private existing(tmpl: Template, slots: readonly Value[]): Fact | undefined {
    return tmpl.byKey.get(factKey(slots));
  }

  assertSlots(tmpl: Template, slots: Value[]): Value {
    const key = factKey(slots);
    if (tmpl.byKey.has(key)) return FALSE;
    const fact = new Fact(this.nextFactId++, tmpl, slots, key);
    this.wm.set(fact.id, fact);
    tmpl.byKey.set(key, fact);
    tmpl.facts.add(fact);
    if (this.watch.facts) this.write('wtrace', `==> ${factLabel(fact.id)}${fact.toString()}\n`);
    // Match once per alpha memory (marking those that matched), then let each pattern node
    // react in CLIPS's visiting order. Nothing here allocates beyond the entries themselves.
    const epoch = ++inFlight.epoch;
    const single = this.matchAlphas(tmpl, fact, epoch);
    if (single === null) return fact;
    inFlight.fact = fact;
    inFlight.retracting = false;
    try {
      if (single !== MANY) {
        for (const node of (single as AlphaMemory).nodes) this.feed(node, epoch);
      } else {
        const ls = tmpl.listeners;
        for (let i = ls.length - 1; i >= 0; i--) {
          const node = ls[i] as PatternNode;
          if (node.alpha.mark === epoch) this.feed(node, epoch);
        }
      }
    } finally {
      inFlight.fact = null;
    }
    return fact;
  }

  private feed(node: PatternNode, epoch: number): void {
    node.visited = epoch;
    const entries = node.alpha.current;
    for (let k = 0; k < entries.length; k++) node.entryAdded(entries[k] as AlphaEntry);
  }

  /**
   * Runs the fact through the alpha memories that can match it and marks those that did with
   * `epoch`. Returns null when none matched, the memory when exactly one did, else MANY.
   */
  private matchAlphas(tmpl: Template, fact: Fact, epoch: number): AlphaMemory | typeof MANY | null {
    let found: AlphaMemory | typeof MANY | null = null;
    const unhashed = tmpl.alphasUnhashed;
    for (let i = 0; i < unhashed.length; i++) {
      const a = unhashed[i] as AlphaMemory;
      if (a.add(fact).length === 0) continue;
      a.mark = epoch;
      found = found === null ? a : MANY;
    }
    const hashed = tmpl.alphaSlots;
    for (let i = 0; i < hashed.length; i++) {
      const h = hashed[i] as (typeof hashed)[number];
      const list = h.byValue.get(alphaHashKey(fact.slots[h.slot] as Value));
      if (list === undefined) continue;
      for (let k = 0; k < list.length; k++) {
        const a = list[k] as AlphaMemory;
        if (a.add(fact).length === 0) continue;
        a.mark = epoch;
        found = found === null ? a : MANY;
      }
    }
    return found;
  }

  retractFact(fact: Fact): void {
    if (fact.retracted) return;
    if (this.watch.facts) this.write('wtrace', `<== ${factLabel(fact.id)}${fact.toString()}\n`);
    fact.retracted = true;
    this.wm.delete(fact.id);
    fact.template.byKey.delete(fact.key);
    fact.template.facts.delete(fact);
    const entries = fact.entries;
    if (entries.length === 0) return;
    const epoch = ++inFlight.epoch;
    const first = (entries[0] as AlphaEntry).alpha;
    let single = true;
    for (const e of entries) {
      e.alpha.mark = epoch;
      if (e.alpha !== first) single = false;
    }
    inFlight.fact = fact;
    inFlight.retracting = true;
    try {
      // CLIPS undoes an assert in the exact reverse of the order the assert was processed.
      const nodes = single ? first.nodes : fact.template.listeners;
      const step = single ? -1 : 1;
      for (let n = single ? nodes.length - 1 : 0; n >= 0 && n < nodes.length; n += step) {
        const node = nodes[n] as PatternNode;
        if (node.alpha.mark !== epoch) continue;
        node.visited = epoch;
        for (let i = entries.length - 1; i >= 0; i--) {
          const e = entries[i] as AlphaEntry;
          if (e.alpha === node.alpha) node.entryRemoved(e);
        }
      }
    } finally {
      inFlight.fact = null;
    }
    for (const e of entries) e.alpha.remove(e);
    fact.entries = [];
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
    updates: ReadonlyArray<readonly [number, Value]>,
    keep: boolean,
  ): Value {
    const fact = this.resolveFact(target, keep ? 'duplicate' : 'modify');
    const slots = fact.slots.slice();
    for (const [i, v] of updates) slots[i] = v;
    if (!keep) this.retractFact(fact);
    return this.assertSlots(fact.template, slots);
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

  /** Removes every partial match and alpha entry (the facts stay). */
  private flushNetwork(): void {
    for (const r of this.rules.values()) for (const d of r.disjuncts) removeToken(d.root);
    for (const a of this.alphaMemories.values()) for (const idx of a.indexes) idx.buckets.clear();
    for (const f of this.wm.values()) f.entries = [];
  }

  /**
   * Puts every rule's root token back. CLIPS re-activates LHS-less rules first, then rules
   * starting with a test CE, then those starting with not/exists, newest rule first in each.
   */
  private seedRules(): void {
    const group = (d: Disjunct): number =>
      d.first instanceof TerminalNode ? 0 : d.first instanceof TestNode ? 1 : 2;
    const disjuncts = [...this.rules.values()].flatMap((r) => r.disjuncts);
    disjuncts.sort((a, b) => group(a) - group(b) || b.rule.order - a.rule.order);
    for (const d of disjuncts) (d.first as NonNullable<typeof d.first>).leftAdd(d.root);
  }

  addRule(rule: Rule): void {
    const old = this.rules.get(ruleKey(rule.module.name, rule.name));
    if (old) this.removeRule(old);
    this.rules.set(ruleKey(rule.module.name, rule.name), rule);
    for (const d of rule.disjuncts) {
      for (const node of d.patternNodes) {
        node.alphaOrder = this.sharedOrder(
          `A${node.pattern.template.module.name}::${node.alphaKey}`,
        );
        node.visitOrder = this.sharedOrder(`J${node.prefixKey}`);
        node.ruleOrder = rule.order;
        insertListener(node.pattern.template.listeners, node);
        this.attachAlpha(node);
      }
      // The alpha memories already hold the facts in working memory; pushing the root token
      // through creates each existing match once, without transient add/remove traces.
      (d.first as NonNullable<typeof d.first>).leftAdd(d.root);
    }
  }

  removeRule(rule: Rule): void {
    this.rules.delete(ruleKey(rule.module.name, rule.name));
    for (const d of rule.disjuncts) {
      removeToken(d.root);
      for (const node of d.patternNodes) {
        const ls = node.pattern.template.listeners;
        const i = ls.indexOf(node);
        if (i >= 0) ls.splice(i, 1);
        renumber(ls);
        this.releaseOrder(`A${node.pattern.template.module.name}::${node.alphaKey}`);
        this.releaseOrder(`J${node.prefixKey}`);
        this.detachAlpha(node);
      }
    }
  }

  /** Connects a pattern node to its shared alpha memory (created and filled on first use). */
  private attachAlpha(node: PatternNode): void {
    const tmpl = node.pattern.template;
    let alpha = this.alphaMemories.get(node.pattern.shareKey);
    if (alpha === undefined) {
      alpha = new AlphaMemory(node.pattern.shareKey, node.pattern);
      this.alphaMemories.set(alpha.key, alpha);
      const d = node.pattern.discriminator;
      if (d === null) tmpl.alphasUnhashed.push(alpha);
      else {
        let slot = tmpl.alphaSlots.find((h) => h.slot === d.slot);
        if (slot === undefined) {
          slot = { slot: d.slot, byValue: new Map() };
          tmpl.alphaSlots.push(slot);
        }
        const k = alphaHashKey(d.value);
        slot.byValue.set(k, [...(slot.byValue.get(k) ?? []), alpha]);
      }
      for (const f of tmpl.facts) alpha.add(f);
    }
    alpha.nodes.push(node);
    byRank(alpha.nodes);
    node.alpha = alpha;
    node.right = alpha.index(node.pattern.eqRight, tmpl.facts);
  }

  private detachAlpha(node: PatternNode): void {
    const alpha = node.alpha;
    alpha.nodes.splice(alpha.nodes.indexOf(node), 1);
    if (alpha.nodes.length > 0) return;
    this.alphaMemories.delete(alpha.key);
    const tmpl = node.pattern.template;
    const d = node.pattern.discriminator;
    if (d === null) tmpl.alphasUnhashed.splice(tmpl.alphasUnhashed.indexOf(alpha), 1);
    else {
      const byValue = tmpl.alphaSlots.find((h) => h.slot === d.slot)?.byValue;
      const k = alphaHashKey(d.value);
      const rest = (byValue?.get(k) ?? []).filter((a) => a !== alpha);
      if (rest.length > 0) byValue?.set(k, rest);
      else byValue?.delete(k);
    }
    for (const f of tmpl.facts) f.entries = f.entries.filter((e) => e.alpha !== alpha);
  }

  /** Creation order of a CLIPS network node shared under `key` (ref-counted). */
  private sharedOrder(key: string): number {
    let shared = this.joinOrders.get(key);
    if (shared === undefined) {
      shared = { order: this.joinCounter++, refs: 0 };
      this.joinOrders.set(key, shared);
    }
    shared.refs++;
    return shared.order;
  }

  private releaseOrder(key: string): void {
    const shared = this.joinOrders.get(key);
    if (shared && --shared.refs === 0) this.joinOrders.delete(key);
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
      const top = this.focusStack.at(-1);
      if (top === undefined) return 'empty';
      const act = top.agenda.pop();
      if (act === undefined) {
        this.popFocus();
        continue;
      }
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
    const frame = token.vals.slice();
    frame.length = act.disjunct.scope.size;
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
    if (!describe && this.fireListeners.size === 0) return null;
    // Fact ids never change, so describing the match after the RHS ran is exact.
    const firing: Firing = {
      rule: rule.name,
      module: rule.module.name,
      facts: token.basis().map((b) => (b === '*' ? null : b.id)),
    };
    for (const l of this.fireListeners) l(firing);
    return firing;
  }
}

/** More than one alpha memory matched. */
const MANY = Symbol('many');

/** Hash key of a literal for alpha dispatch; a multifield never equals a single literal. */
function alphaHashKey(v: Value): unknown {
  return isMultifield(v) ? MANY : v;
}

/**
 * Keeps listeners in the reverse of CLIPS's visiting order (asserts walk the list from the
 * end): newest alpha node first, then newest shared join; inside one shared join, newest rule first, except that a
 * `not` join removes its older rules' matches first (CLIPS removes the newest-created first).
 */
function insertListener(ls: PatternNode[], node: PatternNode): void {
  const visitsFirst = (a: PatternNode, b: PatternNode): boolean => {
    if (a.alphaOrder !== b.alphaOrder) return a.alphaOrder > b.alphaOrder;
    if (a.visitOrder !== b.visitOrder) return a.visitOrder > b.visitOrder;
    const removes = a instanceof NegationNode && !a.exists;
    return removes ? a.ruleOrder < b.ruleOrder : a.ruleOrder > b.ruleOrder;
  };
  let i = ls.length;
  while (i > 0 && visitsFirst(ls[i - 1] as PatternNode, node)) i--;
  ls.splice(i, 0, node);
  renumber(ls);
}

/** Re-ranks the listeners and keeps each alpha memory's nodes in visiting order. */
function renumber(ls: readonly PatternNode[]): void {
  for (let i = 0; i < ls.length; i++) (ls[i] as PatternNode).rank = i;
  for (const n of ls) byRank(n.alpha?.nodes ?? []);
}

/** Sorts nodes into CLIPS's visiting order for an assert (highest rank first), in place. */
function byRank(nodes: PatternNode[]): PatternNode[] {
  return nodes.sort((a, b) => b.rank - a.rank);
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
