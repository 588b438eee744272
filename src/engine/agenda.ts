// The agenda of one module under CLIPS's default depth strategy: highest salience first, then
// the most recently created activation (CLIPS 6.30 places every new activation above the
// existing ones of equal salience). Each salience level is a doubly linked list, newest at the
// tail, so adding, removing and popping are O(1) and removed activations are not retained.
import type { Disjunct, Rule } from './rule.ts';
import type { Token } from './token.ts';

export class Activation {
  dead = false;
  prev: Activation | null = null;
  next: Activation | null = null;
  /** The salience level the activation sits in (set by `Agenda.add`). */
  level: Level | null = null;
  constructor(
    readonly disjunct: Disjunct,
    /** The match, while the activation is on the agenda: once it is gone (fired or removed)
     *  the token object may be reused for another match. */
    readonly token: Token,
    readonly salience: number,
  ) {}

  get rule(): Rule {
    return this.disjunct.rule;
  }
}

class Level {
  head: Activation | null = null;
  tail: Activation | null = null;
  constructor(readonly salience: number) {}
}

export class Agenda {
  /** Salience -> its activations, oldest at the head. */
  private readonly levels = new Map<number, Level>();
  /** The levels by salience, highest first: popping walks them without map lookups. */
  private ordered: Level[] = [];
  private live = 0;
  /** Bumped by `clear`: levels cached by rules (`Rule.level`) before it are gone. */
  private epoch = 0;

  get size(): number {
    return this.live;
  }

  add(act: Activation): void {
    const rule = act.disjunct.rule;
    let level = rule.level as Level | null;
    if (level === null || rule.levelEpoch !== this.epoch) {
      level = this.levelOf(act.salience);
      rule.level = level;
      rule.levelEpoch = this.epoch;
    }
    act.level = level;
    act.prev = level.tail;
    act.next = null;
    if (level.tail === null) level.head = act;
    else level.tail.next = act;
    level.tail = act;
    this.live++;
  }

  private levelOf(salience: number): Level {
    let level = this.levels.get(salience);
    if (level === undefined) {
      level = new Level(salience);
      this.levels.set(salience, level);
      this.ordered.push(level);
      this.ordered.sort((x, y) => y.salience - x.salience);
    }
    return level;
  }

  remove(act: Activation): void {
    if (act.dead) return;
    act.dead = true;
    const level = act.level as Level;
    if (act.prev === null) level.head = act.next;
    else act.prev.next = act.next;
    if (act.next === null) level.tail = act.prev;
    else act.next.prev = act.prev;
    act.prev = null;
    act.next = null;
    act.level = null;
    this.live--;
  }

  /** Removes and returns the activation to fire next, or undefined when empty. */
  pop(): Activation | undefined {
    if (this.live === 0) return undefined;
    const ordered = this.ordered;
    for (let i = 0; i < ordered.length; i++) {
      const act = (ordered[i] as Level).tail;
      if (act !== null) {
        this.remove(act);
        return act;
      }
    }
    return undefined;
  }

  /** Live activations in firing order. */
  list(): Activation[] {
    const out: Activation[] = [];
    for (const level of this.ordered) {
      for (let a = level.tail; a !== null; a = a.prev) out.push(a);
    }
    return out;
  }

  clear(): void {
    for (const level of this.levels.values()) {
      for (let a = level.head; a !== null; a = a.next) {
        a.dead = true;
        a.level = null;
      }
    }
    this.levels.clear();
    this.ordered = [];
    this.live = 0;
    this.epoch++;
  }
}
