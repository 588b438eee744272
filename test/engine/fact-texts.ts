// A test helper: the facts of one template as CLIPS prints them, sorted (order-free checks).
import type { Engine } from '../../src/engine/index.ts';

export const factTexts = (e: Engine, template: string): string[] =>
  e
    .facts({ template })
    .map((f) => f.toString())
    .sort();
