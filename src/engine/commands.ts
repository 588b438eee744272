// Engine commands callable from CLIPS code (and so from a batch file): reset, run, facts,
// agenda, watch, retract, focus, halt, ... Their output goes through the engine's router.
import type { Engine } from './engine.ts';
import { basisText, factLabel } from './engine.ts';
import { EngineError } from './errors.ts';
import type { Fact } from './fact.ts';
import { defineFunction, type FunctionDef } from './functions.ts';
import { templateVisible } from './module.ts';
import { FALSE, isFactRef, Sym, TRUE, type Value, VOID } from './values.ts';

const WATCHABLE = new Set(['facts', 'rules', 'activations', 'focus']);
/** Watch items CLIPS knows that produce no output in this engine's supported subset. */
const SILENT_WATCH = new Set(['compilations', 'statistics', 'globals', 'deffunctions']);

function symArg(fn: string, v: Value | undefined): string {
  if (v instanceof Sym) return v.name;
  throw new EngineError('NAU_ENGINE_ARGUMENTS', `function ${fn} expects a symbol`);
}

function intArg(fn: string, v: Value | undefined): number {
  if (typeof v === 'bigint') return Number(v);
  throw new EngineError('NAU_ENGINE_ARGUMENTS', `function ${fn} expects an integer`);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function registerCommands(engine: Engine, add: (def: FunctionDef) => void): void {
  add(
    defineFunction('reset', 0, 0, () => {
      engine.reset();
      return VOID;
    }),
  );
  add(
    defineFunction('clear', 0, 0, () => {
      engine.clear();
      return VOID;
    }),
  );
  add(
    defineFunction('run', 0, 1, (args) => {
      const n = args.length === 0 ? -1 : intArg('run', args[0]);
      engine.runLoop(n < 0 ? engine.maxFirings : n);
      // CLIPS 6.30 quirk: it compares the remaining limit with the rules fired and prints this
      // message when they are equal (see docs/clips-compat.md).
      if (n >= 0 && n - engine.lastRunCount === engine.lastRunCount) {
        engine.write('t', 'rule firing limit reached\n');
      }
      return VOID;
    }),
  );
  add(
    defineFunction('halt', 0, 0, () => {
      engine.halt();
      return VOID;
    }),
  );
  add(
    defineFunction('focus', 1, -1, (args) => {
      engine.focus(...args.map((a) => symArg('focus', a)));
      return TRUE;
    }),
  );
  add(
    defineFunction('get-focus', 0, 0, () => {
      const top = engine.focusStack.at(-1);
      return top ? Sym.of(top.name) : FALSE;
    }),
  );
  add(
    defineFunction('pop-focus', 0, 0, () => {
      const top = engine.popFocus();
      return top ? Sym.of(top.name) : FALSE;
    }),
  );
  add(defineFunction('get-current-module', 0, 0, () => Sym.of(engine.currentModule.name)));
  add(
    defineFunction('set-current-module', 1, 1, (args) => {
      const previous = engine.currentModule;
      engine.currentModule = engine.moduleNamed(symArg('set-current-module', args[0]));
      engine.compileModule = engine.currentModule;
      return Sym.of(previous.name);
    }),
  );
  add(
    defineFunction('retract', 1, -1, (args) => {
      for (const a of args) {
        if (a === Sym.of('*')) {
          for (const f of engine.facts()) engine.retractFact(f);
          continue;
        }
        if (isFactRef(a)) {
          if (!a.retracted) engine.retractFact(a as Fact);
          continue;
        }
        const f = engine.fact(intArg('retract', a));
        if (f === undefined) {
          throw new EngineError(
            'NAU_ENGINE_UNKNOWN_FACT',
            `retract: fact f-${String(a)} does not exist`,
          );
        }
        engine.retractFact(f);
      }
      return VOID;
    }),
  );
  add(
    defineFunction('assert-string', 1, 1, (args) => {
      const text = args[0];
      if (typeof text !== 'string')
        throw new EngineError('NAU_ENGINE_ARGUMENTS', 'assert-string expects a string');
      // The new fact, or FALSE when an identical one already exists.
      return engine.assertSlots(...engine.parseFact(text));
    }),
  );
  add(
    defineFunction('fact-index', 1, 1, (args) => {
      const f = args[0] as Value;
      if (!isFactRef(f))
        throw new EngineError('NAU_ENGINE_ARGUMENTS', 'fact-index expects a fact address');
      return BigInt(f.id);
    }),
  );
  add(
    defineFunction('load', 1, 1, (args) => {
      const p = args[0];
      if (typeof p !== 'string' && !(p instanceof Sym))
        throw new EngineError('NAU_ENGINE_ARGUMENTS', 'load expects a file name');
      engine.load(typeof p === 'string' ? p : p.name);
      return TRUE;
    }),
  );
  const watch = (on: boolean) => (args: Value[]) => {
    for (const a of args) {
      const item = symArg(on ? 'watch' : 'unwatch', a);
      if (item === 'all') {
        for (const w of WATCHABLE) engine.watch[w as keyof Engine['watch']] = on;
      } else if (WATCHABLE.has(item)) {
        engine.watch[item as keyof Engine['watch']] = on;
      } else if (!SILENT_WATCH.has(item)) {
        throw new EngineError('NAU_ENGINE_ARGUMENTS', `cannot watch ${item}`);
      }
    }
    return VOID;
  };
  add(defineFunction('watch', 1, -1, watch(true)));
  add(defineFunction('unwatch', 1, -1, watch(false)));
  add(
    defineFunction('facts', 0, 4, (args) => {
      let rest = args;
      let module = engine.currentModule;
      if (rest[0] instanceof Sym) {
        module = engine.moduleNamed(rest[0].name);
        rest = rest.slice(1);
      }
      const start = rest[0] === undefined ? 0 : intArg('facts', rest[0]);
      const end = rest[1] === undefined ? Number.POSITIVE_INFINITY : intArg('facts', rest[1]);
      const max = rest[2] === undefined ? Number.POSITIVE_INFINITY : intArg('facts', rest[2]);
      let n = 0;
      let text = '';
      for (const f of engine.facts()) {
        if (f.id < start || f.id > end || n >= max) continue;
        if (!templateVisible(f.template, module)) continue;
        text += `${factLabel(f.id)}${f.toString()}\n`;
        n++;
      }
      // CLIPS prints nothing at all when no fact is listed.
      if (n > 0) engine.write('t', `${text}For a total of ${plural(n, 'fact')}.\n`);
      return VOID;
    }),
  );
  add(
    defineFunction('agenda', 0, 1, (args) => {
      const module =
        args[0] instanceof Sym ? engine.moduleNamed(args[0].name) : engine.currentModule;
      const acts = module.agenda.list();
      let text = '';
      for (const a of acts)
        text += `${String(a.salience).padEnd(6)} ${a.rule.name}: ${basisText(a.token)}\n`;
      if (acts.length > 0) {
        engine.write('t', `${text}For a total of ${plural(acts.length, 'activation')}.\n`);
      }
      return VOID;
    }),
  );
}
