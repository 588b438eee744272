// The validated, file-independent form of a rules directory: what the loader produces and the
// compiler consumes. Every element keeps the location of its YAML node for later errors.
import type { ErrorLocation } from '../errors.ts';

export type Loc = ErrorLocation;

export type SlotType = 'string' | 'symbol' | 'integer' | 'float';
export type Scalar = string | number | boolean;

export interface SlotDef {
  readonly name: string;
  readonly type: SlotType;
  /** Extension: a multislot holds a list of values of `type`. */
  readonly multislot: boolean;
  readonly required: boolean;
  readonly allowedValues?: readonly Scalar[];
  readonly default?: Scalar | readonly Scalar[];
  readonly description?: string;
  readonly loc: Loc;
}

export interface TemplateDef {
  readonly name: string;
  readonly description?: string;
  readonly slots: readonly SlotDef[];
  /** Seconds a fact of this template lives (applied by the runtime, not by CLIPS). */
  readonly ttl?: number;
  readonly scope: 'session' | 'fleet';
  readonly loc: Loc;
}

export interface ModuleDef {
  readonly name: string;
  readonly description?: string;
  /** Accepted for compatibility; focus order, not priority, decides when a module runs. */
  readonly priority?: number;
  readonly loc: Loc;
}

/** One `focus_order` list; all lists are merged as ordering constraints. */
export interface FocusOrderDecl {
  readonly modules: ReadonlyArray<{ readonly name: string; readonly loc: Loc }>;
  readonly loc: Loc;
}

export interface HierarchyDef {
  /** Registry key: the file's stem (what `fathom-dominates` names as its hierarchy). */
  readonly key: string;
  readonly name: string;
  /** Lowest to highest. */
  readonly levels: readonly string[];
  readonly compartments: readonly string[];
  readonly file: string;
  readonly loc: Loc;
}

export interface FunctionDef {
  readonly name: string;
  readonly description?: string;
  readonly params: readonly string[];
  readonly type: 'classification' | 'raw';
  /** Classification functions: registry key of the hierarchy. */
  readonly hierarchy?: string;
  /** Raw functions: the complete `(deffunction ...)` text. */
  readonly body?: string;
  /** Location of the first line of the body's text. */
  readonly bodyLoc?: Loc;
  readonly loc: Loc;
}

export interface Text {
  readonly text: string;
  readonly loc: Loc;
  /** Field path for error messages. */
  readonly path: string;
}

export interface ConditionDef {
  readonly slot?: Text;
  readonly expression?: Text;
  readonly bind?: Text;
  readonly test?: Text;
  readonly loc: Loc;
  readonly path: string;
}

export interface PatternDef {
  /** `pattern` matches a fact; `not`/`exists` (extensions) test for absence/presence. */
  readonly kind: 'pattern' | 'not' | 'exists';
  readonly template: Text;
  /** Alias without the `$`. */
  readonly alias?: Text;
  readonly conditions: readonly ConditionDef[];
  readonly loc: Loc;
  readonly path: string;
}

/** A value for a slot on the right-hand side, as written in YAML. */
export type RhsValue = Scalar | readonly Scalar[];

export interface SlotAssignment {
  readonly slot: string;
  readonly value: RhsValue;
  readonly loc: Loc;
  readonly path: string;
}

export interface AssertDef {
  readonly template: Text;
  readonly slots: readonly SlotAssignment[];
  readonly loc: Loc;
  readonly path: string;
}

export interface ModifyDef {
  readonly alias: Text;
  readonly slots: readonly SlotAssignment[];
  readonly loc: Loc;
  readonly path: string;
}

export const ACTIONS = ['allow', 'deny', 'escalate', 'scope', 'route'] as const;
export const LOG_LEVELS = ['none', 'summary', 'full'] as const;

export interface ThenDef {
  readonly action?: (typeof ACTIONS)[number];
  readonly reason?: Text;
  readonly log: (typeof LOG_LEVELS)[number];
  readonly notify: readonly string[];
  readonly attestation: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly asserts: readonly AssertDef[];
  readonly modifies: readonly ModifyDef[];
  readonly retracts: readonly Text[];
  readonly loc: Loc;
  readonly path: string;
}

export interface RuleDef {
  readonly name: string;
  readonly description: string;
  readonly salience: number;
  readonly when: readonly PatternDef[];
  readonly then: ThenDef;
  readonly loc: Loc;
}

export interface RulesetDef {
  readonly ruleset: string;
  readonly version: string;
  readonly description?: string;
  readonly module: Text;
  readonly rules: readonly RuleDef[];
  readonly file: string;
  readonly loc: Loc;
}

/** A plain CLIPS file found beside the YAML; built verbatim after the YAML modules. */
export interface ClpFile {
  readonly path: string;
  readonly text: string;
}
