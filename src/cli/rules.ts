// `nautilus rules check <dir...>` and `nautilus rules compile <dir...>`.
import type { Command } from 'commander';
import type { NautilusError } from '../errors.ts';
import { checkRuleDirs } from '../rules/index.ts';

export interface RulesCommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const line = (e: NautilusError) => `[${e.code}] ${e.message}\n`;

/** Lists every error of the directories; exit code 1 when there is any. */
export function rulesCheckCommand(dirs: readonly string[], io: RulesCommandIo): number {
  const r = checkRuleDirs(dirs);
  for (const e of r.errors) io.err(line(e));
  if (r.errors.length > 0) {
    io.err(`${r.errors.length} error(s)\n`);
    return 1;
  }
  const c = r.compiled;
  io.out(
    `OK: ${r.set.files.length} file(s), ${c.templates.length} template(s), ${r.set.modules.length} module(s), ${c.rules.length} rule(s); focus order: ${c.focusOrder.join(' -> ') || 'MAIN'}\n`,
  );
  return 0;
}

/** Prints the CLIPS program the directories compile to; errors go to stderr (exit code 1). */
export function rulesCompileCommand(dirs: readonly string[], io: RulesCommandIo): number {
  const r = checkRuleDirs(dirs);
  if (r.errors.length > 0) {
    for (const e of r.errors) io.err(line(e));
    io.err(`${r.errors.length} error(s)\n`);
    return 1;
  }
  io.out(r.compiled.text);
  return 0;
}

/** Adds `rules check` and `rules compile` to the program. */
export function registerRulesCommand(program: Command): void {
  const io: RulesCommandIo = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
  const rules = program.command('rules').description('Fathom YAML rules: check and compile');
  rules
    .command('check')
    .description('validate rules directories; list every error (exit code 1 on any)')
    .argument('<dirs...>', 'rules directories (templates/, modules/, functions/, rules/) or files')
    .action((dirs: string[]) => {
      process.exitCode = rulesCheckCommand(dirs, io);
    });
  rules
    .command('compile')
    .description('print the CLIPS constructs the rules directories compile to')
    .argument('<dirs...>', 'rules directories or files')
    .action((dirs: string[]) => {
      process.exitCode = rulesCompileCommand(dirs, io);
    });
}
