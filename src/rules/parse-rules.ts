// Ruleset files: `module`, `ruleset`, `version`, `rules: [{name, salience, when, then}]`.
// This is the shape check; names of templates, slots, aliases and variables are resolved by the
// compiler, which knows every template of the directory.
import { basename, extname } from 'node:path';
import { checkBalanced, IDENTIFIER, VARIABLE } from './clips-text.ts';
import {
  ACTIONS,
  type AssertDef,
  type ConditionDef,
  LOG_LEVELS,
  type ModifyDef,
  type PatternDef,
  type RhsValue,
  type RuleDef,
  type RulesetDef,
  type Scalar,
  type SlotAssignment,
  type Text,
  type ThenDef,
} from './model.ts';
import { identifier, oneOf } from './parse-templates.ts';
import type { YMap, YValue } from './yaml-reader.ts';

const ALIAS = /^\$?([A-Za-z][A-Za-z0-9_-]*)$/;
export const SALIENCE_LIMIT = 10000;

export function textOf(v: YValue, text: string): Text {
  return { text, loc: v.location, path: v.path };
}

export function parseRulesFile(root: YMap, path: string): RulesetDef | undefined {
  root.allow(['ruleset', 'version', 'description', 'module', 'rules']);
  const moduleNode = root.require('module');
  const module = moduleNode && identifier(moduleNode, 'module name');
  const ruleset = root.get('ruleset')?.string() ?? basename(path, extname(path));
  const version = root.get('version')?.text() ?? '1.0';
  const description = root.get('description')?.string();
  const rulesNode = root.require('rules');
  const rules: RuleDef[] = [];
  const seen = new Set<string>();
  for (const item of rulesNode?.seq() ?? []) {
    const rule = parseRule(item);
    if (rule === undefined) continue;
    if (seen.has(rule.name)) {
      item.error('NAU_RULES_DUPLICATE', `rule ${rule.name} is defined twice in this file`);
      continue;
    }
    seen.add(rule.name);
    rules.push(rule);
  }
  if (moduleNode === undefined || module === undefined) return undefined;
  return {
    ruleset,
    version,
    module: textOf(moduleNode, module),
    rules,
    file: path,
    loc: root.value.location,
    ...(description === undefined ? {} : { description }),
  };
}

function parseRule(item: YValue): RuleDef | undefined {
  const raw = item.map();
  if (raw === undefined) return undefined;
  const m = raw.within(`rule ${raw.peek('name') ?? '?'}`);
  const name = identifier(m.require('name'), 'rule name');
  m.allow(['name', 'description', 'salience', 'when', 'then'], (key) =>
    key === 'metadata' ? ' (rule metadata belongs in then.metadata)' : undefined,
  );
  const description = m.get('description')?.string() ?? '';
  const salienceNode = m.get('salience');
  let salience = salienceNode?.integer() ?? 0;
  if (Math.abs(salience) > SALIENCE_LIMIT) {
    salienceNode?.error(
      'NAU_RULES_INVALID',
      `salience must be between -10000 and 10000, got ${salience}`,
    );
    salience = 0;
  }
  const whenNode = m.require('when');
  const when: PatternDef[] = [];
  const whenItems = whenNode?.seq();
  if (whenNode !== undefined && whenItems?.length === 0)
    whenNode.error('NAU_RULES_INVALID', 'when needs at least one pattern');
  for (const w of whenItems ?? []) {
    const p = parsePattern(w);
    if (p !== undefined) when.push(p);
  }
  const thenNode = m.require('then');
  const then = thenNode && parseThen(thenNode);
  if (name === undefined || then === undefined || whenItems === undefined) return undefined;
  return { name, description, salience, when, then, loc: item.location };
}

function parsePattern(item: YValue): PatternDef | undefined {
  const outer = item.map();
  if (outer === undefined) return undefined;
  for (const kind of ['not', 'exists'] as const) {
    if (!outer.has(kind)) continue;
    outer.allow([kind]);
    const inner = outer.get(kind)?.map();
    if (inner === undefined) return undefined;
    inner.allow(['template', 'conditions'], (key) =>
      key === 'alias'
        ? ` (a ${kind} pattern matches no single fact, so it takes no alias)`
        : undefined,
    );
    return patternBody(inner, kind, item);
  }
  outer.allow(['template', 'alias', 'conditions'], (key) =>
    key === 'value'
      ? ' (put the value in a condition: {slot: x, expression: equals(v)})'
      : undefined,
  );
  return patternBody(outer, 'pattern', item);
}

function patternBody(m: YMap, kind: PatternDef['kind'], item: YValue): PatternDef | undefined {
  const templateNode = m.require('template');
  const template = identifier(templateNode, 'template name');
  let alias: Text | undefined;
  const aliasNode = kind === 'pattern' ? m.get('alias') : undefined;
  const aliasText = aliasNode?.string();
  if (aliasNode !== undefined && aliasText !== undefined) {
    const a = ALIAS.exec(aliasText);
    if (a === null)
      aliasNode.error('NAU_RULES_INVALID', `alias "${aliasText}" must look like $name`);
    else alias = textOf(aliasNode, a[1] as string);
  }
  const conditions: ConditionDef[] = [];
  for (const c of m.get('conditions')?.seq() ?? []) {
    const cond = parseCondition(c);
    if (cond !== undefined) conditions.push(cond);
  }
  if (templateNode === undefined || template === undefined) return undefined;
  return {
    kind,
    template: textOf(templateNode, template),
    conditions,
    loc: item.location,
    path: item.path,
    ...(alias === undefined ? {} : { alias }),
  };
}

function parseCondition(item: YValue): ConditionDef | undefined {
  const m = item.map();
  if (m === undefined) return undefined;
  m.allow(['slot', 'expression', 'bind', 'test'], (key) =>
    key === 'value' || key === 'operator'
      ? ' (write the comparison as expression: "equals(v)")'
      : undefined,
  );
  const text = (key: string): Text | undefined => {
    const v = m.get(key);
    const s = v?.string();
    return v === undefined || s === undefined ? undefined : textOf(v, s);
  };
  const slot = text('slot');
  const expression = text('expression');
  const bind = text('bind');
  const test = text('test');
  if (slot === undefined && expression === undefined && bind === undefined && test === undefined) {
    if (!['slot', 'expression', 'bind', 'test'].some((k) => m.has(k)))
      item.error('NAU_RULES_INVALID', 'a condition needs an expression, a bind or a test');
    return undefined;
  }
  let ok = true;
  if (slot !== undefined && !IDENTIFIER.test(slot.text)) {
    m.get('slot')?.error('NAU_RULES_INVALID', `slot name "${slot.text}" is not a valid name`);
    ok = false;
  }
  if ((expression !== undefined || bind !== undefined) && slot === undefined) {
    item.error('NAU_RULES_INVALID', `${expression ? 'an expression' : 'a bind'} needs a slot`);
    ok = false;
  }
  if (slot !== undefined && expression === undefined && bind === undefined) {
    m.get('slot')?.error(
      'NAU_RULES_INVALID',
      test ? 'a test condition takes no slot' : 'a slot needs an expression or a bind',
    );
    ok = false;
  }
  if (bind !== undefined && !VARIABLE.test(bind.text)) {
    m.get('bind')?.error(
      'NAU_RULES_INVALID',
      `bind "${bind.text}" must be a variable such as ?name`,
    );
    ok = false;
  }
  if (test !== undefined) {
    const t = test.text.trim();
    const problem =
      !t.startsWith('(') || !t.endsWith(')')
        ? 'must be a CLIPS expression in parentheses'
        : checkBalanced(t);
    if (problem !== undefined) {
      m.get('test')?.error('NAU_RULES_EXPRESSION', `test ${problem}`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  return {
    loc: item.location,
    path: item.path,
    ...(slot === undefined ? {} : { slot }),
    ...(expression === undefined ? {} : { expression }),
    ...(bind === undefined ? {} : { bind }),
    ...(test === undefined ? {} : { test: { ...test, text: test.text.trim() } }),
  };
}

function parseThen(node: YValue): ThenDef | undefined {
  const m = node.map();
  if (m === undefined) return undefined;
  m.allow([
    'action',
    'reason',
    'log',
    'notify',
    'attestation',
    'metadata',
    'assert',
    'modify',
    'retract',
    'scope',
  ]);
  m.get('scope')?.error(
    'NAU_RULES_INVALID',
    'then.scope is not supported (Fathom ignored it); assert a scope_constraint fact instead',
  );
  const actionNode = m.get('action');
  const action = actionNode && oneOf(actionNode, ACTIONS, 'action');
  const reasonNode = m.get('reason');
  const reasonText = reasonNode?.string();
  const logNode = m.get('log');
  const log = logNode ? oneOf(logNode, LOG_LEVELS, 'log') : 'summary';
  const notifyNode = m.get('notify');
  const notify =
    notifyNode === undefined || notifyNode.isNull
      ? []
      : notifyNode.isSequence
        ? (notifyNode.strings() ?? []).map((n) => n.value)
        : [notifyNode.string()].filter((n): n is string => n !== undefined);
  const attestation = m.get('attestation')?.boolean() ?? false;
  const metadata: Record<string, string> = {};
  const metaMap = m.get('metadata')?.map();
  for (const key of metaMap?.keys() ?? []) {
    const v = metaMap?.get(key)?.scalar();
    if (v !== undefined) metadata[key] = String(v);
  }
  const asserts: AssertDef[] = [];
  for (const a of m.get('assert')?.seq() ?? []) {
    const am = a.map();
    if (am === undefined) continue;
    am.allow(['template', 'slots']);
    const tNode = am.require('template');
    const template = identifier(tNode, 'template name');
    const slots = slotAssignments(am.get('slots'));
    if (tNode !== undefined && template !== undefined && slots !== undefined)
      asserts.push({ template: textOf(tNode, template), slots, loc: a.location, path: a.path });
  }
  const modifies: ModifyDef[] = [];
  for (const a of m.get('modify')?.seq() ?? []) {
    const am = a.map();
    if (am === undefined) continue;
    am.allow(['alias', 'slots']);
    const alias = aliasRef(am.require('alias'));
    const slotsNode = am.require('slots');
    const slots = slotAssignments(slotsNode);
    if (slots?.length === 0)
      slotsNode?.error('NAU_RULES_INVALID', 'modify needs at least one slot');
    if (alias !== undefined && slots !== undefined)
      modifies.push({ alias, slots, loc: a.location, path: a.path });
  }
  const retracts: Text[] = [];
  const retractNode = m.get('retract');
  if (retractNode !== undefined) {
    const items = isText(retractNode) ? [retractNode] : (retractNode.seq() ?? []);
    for (const r of items) {
      const alias = aliasRef(r);
      if (alias !== undefined) retracts.push(alias);
    }
  }
  if (action === undefined && asserts.length + modifies.length + retracts.length === 0) {
    if (actionNode === undefined && !m.has('assert') && !m.has('modify') && !m.has('retract'))
      node.error('NAU_RULES_INVALID', 'then needs an action, assert, modify or retract');
  }
  if (log === undefined) return undefined;
  return {
    log,
    notify,
    attestation,
    metadata,
    asserts,
    modifies,
    retracts,
    loc: node.location,
    path: node.path,
    ...(action === undefined ? {} : { action }),
    ...(reasonNode === undefined || reasonText === undefined
      ? {}
      : { reason: textOf(reasonNode, reasonText) }),
  };
}

const isText = (v: YValue): boolean => !v.isMapping && !v.isSequence;

function aliasRef(v: YValue | undefined): Text | undefined {
  const s = v?.string();
  if (v === undefined || s === undefined) return undefined;
  const a = ALIAS.exec(s);
  if (a === null)
    return v.error('NAU_RULES_INVALID', `"${s}" must be a pattern alias such as $name`);
  return textOf(v, a[1] as string);
}

function slotAssignments(v: YValue | undefined): SlotAssignment[] | undefined {
  if (v === undefined) return [];
  if (v.isNull) return [];
  const m = v.map();
  if (m === undefined) return undefined;
  const out: SlotAssignment[] = [];
  for (const key of m.keys()) {
    const node = m.get(key) as YValue;
    const value = rhsValue(node);
    if (value !== undefined) out.push({ slot: key, value, loc: node.location, path: node.path });
  }
  return out;
}

function rhsValue(v: YValue): RhsValue | undefined {
  if (v.isNull) return v.error('NAU_RULES_INVALID', 'a slot value is missing');
  if (v.isMapping) return v.error('NAU_RULES_INVALID', 'a slot value must be a value or a list');
  if (!isText(v)) {
    const items: Scalar[] = [];
    for (const item of v.seq() ?? []) {
      const s = item.scalar();
      if (s !== undefined) items.push(s);
    }
    return items;
  }
  return v.scalar();
}
