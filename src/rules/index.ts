// Public API of the Fathom YAML rules front-end (see docs/rules.md).

export {
  atomKey,
  type CaseFact,
  readFact,
  readFacts,
  readSlots,
  readSlotValue,
  type TemplateIndex,
  templateIndex,
} from './case-facts.ts';
export {
  type CaseExpectation,
  type CasesContext,
  type CasesFile,
  CONFIG_TEMPLATES,
  type DenialExpectation,
  EVERY_SOURCE,
  type PolicyCase,
  parseCases,
  readCasesFile,
  type ScopeExpectation,
} from './cases.ts';
export { type CheckResult, checkRuleDirs, checkRules } from './check.ts';
export { type CompiledRuleInfo, type CompiledRules, compileRules } from './compile.ts';
export { DECISION_TEMPLATE } from './compile-then.ts';
export type { CompiledUnit, UnitKind } from './compile-unit.ts';
export { type RulesErrorCode, sortErrors } from './diagnostics.ts';
export { discoverFiles } from './discover.ts';
export {
  type Decision,
  type EvaluateOptions,
  type Evaluation,
  evaluate,
} from './evaluate.ts';
export { compartments, Ranking } from './host/hierarchy.ts';
export {
  type HostContext,
  type HostFunctionDef,
  hostFunctions,
  registerHostFunctions,
} from './host/index.ts';
export { containsAll, notInList, overlaps } from './host/lists.ts';
export { encodeList, splitList } from './host/lists-encoding.ts';
export { buildRules, type InstallOptions, installRules } from './install.ts';
export {
  type LoadOptions,
  loadRuleDirs,
  loadRuleSources,
  type RuleSet,
  type RuleSource,
} from './load.ts';
export type {
  AssertDef,
  ClpFile,
  ConditionDef,
  FocusOrderDecl,
  FunctionDef,
  HierarchyDef,
  ModifyDef,
  ModuleDef,
  PatternDef,
  RuleDef,
  RulesetDef,
  SlotDef,
  SlotType,
  TemplateDef,
  ThenDef,
} from './model.ts';
export { OPERATORS } from './operators.ts';
