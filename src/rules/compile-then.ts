// The right-hand side: the decision fact (action, reason, ...), then `assert`, `modify` and
// `retract` actions. Literals are typed for their slot (Fathom quoted every literal as a STRING,
// so SYMBOL or INTEGER slots needed a sym-cat/arithmetic trick), and required slots are checked.
import type { NautilusError } from '../errors.ts';
import {
  checkBalanced,
  literalFor,
  quoteString,
  scanVariables,
  VARIABLE,
  valueKeyFor,
} from './clips-text.ts';
import { type RulesErrorCode, rulesError } from './diagnostics.ts';
import type {
  Loc,
  RhsValue,
  Scalar,
  SlotAssignment,
  SlotDef,
  TemplateDef,
  ThenDef,
} from './model.ts';
import { didYouMean } from './suggest.ts';

export const DECISION_TEMPLATE = '__fathom_decision';

export interface At {
  readonly loc: Loc;
  readonly path: string;
}

/** What the RHS compiler asks of the rule compiler. */
export interface RhsScope {
  readonly module: string;
  readonly rule: string;
  readonly templates: ReadonlyMap<string, TemplateDef>;
  readonly errors: NautilusError[];
  /** A variable read on the RHS (reported when unbound); `multi` when it holds a list. */
  readVar(name: string, at: At): { multi: boolean } | undefined;
  /** `$alias.field`: the slot's variable (reported when the alias or slot is unknown). */
  ref(alias: string, field: string, at: At): { name: string; multi: boolean } | undefined;
  /** The fact-address variable of a positive pattern's alias. */
  factVar(alias: string, at: At): { name: string; template: TemplateDef } | undefined;
}

const REF = /^\$([A-Za-z][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)$/;

export function compileThen(then: ThenDef, scope: RhsScope): Array<{ text: string; loc: Loc }> {
  const c = new ThenCompiler(scope);
  return c.compile(then);
}

class ThenCompiler {
  private readonly out: Array<{ text: string; loc: Loc }> = [];
  constructor(private readonly scope: RhsScope) {}

  private error(code: RulesErrorCode, reason: string, at: At): undefined {
    this.scope.errors.push(
      rulesError(code, reason, {
        location: at.loc,
        construct: `rule ${this.scope.rule}`,
        path: at.path,
      }),
    );
    return undefined;
  }

  compile(then: ThenDef): Array<{ text: string; loc: Loc }> {
    if (then.action !== undefined) this.decision(then);
    for (const a of then.asserts) {
      const tmpl = this.scope.templates.get(a.template.text);
      if (tmpl === undefined) {
        this.error(
          'NAU_RULES_UNKNOWN_REFERENCE',
          `unknown template ${a.template.text}${didYouMean(a.template.text, this.scope.templates.keys())}`,
          a.template,
        );
        continue;
      }
      const slots = this.slots(tmpl, a.slots);
      const given = new Set(a.slots.map((s) => s.slot));
      const missing = tmpl.slots.filter(
        (s) => s.required && s.default === undefined && !given.has(s.name),
      );
      if (missing.length > 0)
        this.error(
          'NAU_RULES_INVALID',
          `assert of ${tmpl.name} misses required slot(s) ${missing.map((s) => s.name).join(', ')}`,
          a,
        );
      if (slots !== undefined)
        this.out.push({ text: `(assert (${tmpl.name}${slots}))`, loc: a.loc });
    }
    const changed = new Set<string>();
    for (const m of then.modifies) {
      if (changed.has(m.alias.text)) {
        this.error(
          'NAU_RULES_INVALID',
          `$${m.alias.text} is already modified or retracted by this rule`,
          m.alias,
        );
        continue;
      }
      changed.add(m.alias.text);
      const fact = this.scope.factVar(m.alias.text, m.alias);
      if (fact === undefined) continue;
      const slots = this.slots(fact.template, m.slots);
      if (slots !== undefined) this.out.push({ text: `(modify ${fact.name}${slots})`, loc: m.loc });
    }
    const retracted: string[] = [];
    for (const r of then.retracts) {
      if (changed.has(r.text)) {
        this.error(
          'NAU_RULES_INVALID',
          `$${r.text} is already modified or retracted by this rule`,
          r,
        );
        continue;
      }
      changed.add(r.text);
      const fact = this.scope.factVar(r.text, r);
      if (fact !== undefined) retracted.push(fact.name);
    }
    if (retracted.length > 0)
      this.out.push({
        text: `(retract ${retracted.join(' ')})`,
        loc: (then.retracts[0] as At).loc,
      });
    return this.out;
  }

  private decision(then: ThenDef): void {
    const reason = then.reason ? this.interpolate(then.reason.text, then.reason) : '""';
    const meta = Object.keys(then.metadata).sort();
    const metadata =
      meta.length === 0
        ? ''
        : JSON.stringify(Object.fromEntries(meta.map((k) => [k, then.metadata[k]])));
    const notify = then.notify.map(quoteString).join(' ');
    const slots = [
      `(action ${then.action})`,
      `(reason ${reason ?? '""'})`,
      `(rule ${quoteString(`${this.scope.module}::${this.scope.rule}`)})`,
      `(log-level ${then.log})`,
      notify === '' ? '(notify)' : `(notify ${notify})`,
      `(attestation ${then.attestation ? 'TRUE' : 'FALSE'})`,
      `(metadata ${quoteString(metadata)})`,
    ];
    this.out.push({ text: `(assert (${DECISION_TEMPLATE} ${slots.join(' ')}))`, loc: then.loc });
  }

  /**
   * `{name}`, `{?name}` and `{$alias.slot}` in a reason become variables in a str-cat. Fathom
   * left `{alias.slot}` as literal text; here it is an error pointing at the `$` form.
   */
  private interpolate(text: string, at: At): string | undefined {
    const parts: string[] = [];
    let last = 0;
    let ok = true;
    for (const m of text.matchAll(/\{([^{}\s]+)\}/g)) {
      const inner = m[1] as string;
      let expr: string | undefined;
      const ref = REF.exec(inner);
      if (ref) {
        const v = this.scope.ref(ref[1] as string, ref[2] as string, at);
        expr = v && (v.multi ? `(implode$ ${v.name})` : v.name);
      } else if (/^\??[A-Za-z][A-Za-z0-9_-]*$/.test(inner)) {
        const name = inner.startsWith('?') ? inner : `?${inner}`;
        const v = this.scope.readVar(name, at);
        expr = v && (v.multi ? `(implode$ ${name})` : name);
      } else if (/^[A-Za-z][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*$/.test(inner)) {
        this.error(
          'NAU_RULES_EXPRESSION',
          `reason placeholder {${inner}}: write {$${inner}} to read a slot of an alias`,
          at,
        );
      } else {
        continue;
      }
      if (expr === undefined) {
        ok = false;
        continue;
      }
      if (m.index > last) parts.push(quoteString(text.slice(last, m.index)));
      parts.push(expr);
      last = m.index + m[0].length;
    }
    if (!ok) return undefined;
    if (last < text.length) parts.push(quoteString(text.slice(last)));
    if (parts.length === 0) return '""';
    if (parts.length === 1 && last === 0) return parts[0];
    return `(str-cat ${parts.join(' ')})`;
  }

  /** ` (slot value) ...` for a template, or undefined after reporting. */
  private slots(tmpl: TemplateDef, assignments: readonly SlotAssignment[]): string | undefined {
    let out = '';
    let ok = true;
    for (const a of assignments) {
      const def = tmpl.slots.find((s) => s.name === a.slot);
      if (def === undefined) {
        ok = false;
        this.error(
          'NAU_RULES_UNKNOWN_REFERENCE',
          `template ${tmpl.name} has no slot ${a.slot}${didYouMean(
            a.slot,
            tmpl.slots.map((s) => s.name),
          )}`,
          a,
        );
        continue;
      }
      const v = this.value(a.value, def, a);
      if (v === undefined) ok = false;
      else out += v === '' ? ` (${def.name})` : ` (${def.name} ${v})`;
    }
    return ok ? out : undefined;
  }

  private value(value: RhsValue, slot: SlotDef, at: At): string | undefined {
    if (Array.isArray(value)) {
      if (!slot.multislot)
        return this.error(
          'NAU_RULES_TYPE',
          `slot ${slot.name} holds one value; a list needs a multislot`,
          at,
        );
      const items = (value as readonly Scalar[]).map((v) => this.single(v, slot, at));
      return items.some((i) => i === undefined) ? undefined : items.join(' ');
    }
    return this.single(value as Scalar, slot, at);
  }

  private single(value: Scalar, slot: SlotDef, at: At): string | undefined {
    if (typeof value === 'string') {
      const text = value.trim();
      if (VARIABLE.test(text)) {
        const v = this.scope.readVar(text, at);
        return v && this.varInto(text, v.multi, slot, at);
      }
      const ref = REF.exec(text);
      if (ref) {
        const v = this.scope.ref(ref[1] as string, ref[2] as string, at);
        return v && this.varInto(v.name, v.multi, slot, at);
      }
      if (text.startsWith('(')) {
        const problem = checkBalanced(text);
        if (problem !== undefined)
          return this.error('NAU_RULES_EXPRESSION', `${problem} in ${text}`, at);
        const unbound = scanVariables(text).filter(
          (v) => this.scope.readVar(v.name, at) === undefined,
        );
        return unbound.length === 0 ? text : undefined;
      }
    }
    const lit = literalFor(value, slot.type);
    if ('error' in lit)
      return this.error('NAU_RULES_TYPE', `${lit.error} (slot ${slot.name} is ${slot.type})`, at);
    const allowed = slot.allowedValues;
    if (allowed && !allowed.some((x) => valueKeyFor(x, slot.type) === lit.text))
      return this.error(
        'NAU_RULES_TYPE',
        `${String(value)} is not an allowed value of slot ${slot.name} (${allowed.join(', ')})${didYouMean(String(value), allowed.map(String))}`,
        at,
      );
    return lit.text;
  }

  private varInto(name: string, multi: boolean, slot: SlotDef, at: At): string | undefined {
    if (multi && !slot.multislot)
      return this.error(
        'NAU_RULES_TYPE',
        `${name} holds a list, but slot ${slot.name} holds one value`,
        at,
      );
    return multi ? `$${name}` : name;
  }
}
