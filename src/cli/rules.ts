// `nautilus rules check <dir...>`, `nautilus rules compile <dir...>` and
// `nautilus rules test <dir...> --cases <file>`.
import type { Command, CommanderError } from 'commander';
import { formatCasesRun, runPolicyCases } from '../broker/policy-cases/index.ts';
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

/**
 * Runs a cases file against the rules directories: exit code 0 when every case passes, 1 when
 * one fails, 2 when the rules or the cases file cannot be read or have errors.
 */
export function rulesTestCommand(
  dirs: readonly string[],
  options: { readonly cases: string; readonly verbose?: boolean },
  io: RulesCommandIo,
): number {
  const run = runPolicyCases(dirs, options.cases);
  const text = formatCasesRun(run, { verbose: options.verbose === true });
  if (run.errors.length > 0) {
    io.err(text);
    return 2;
  }
  io.out(text);
  return run.failed > 0 ? 1 : 0;
}

/** Adds `rules check`, `rules compile` and `rules test` to the program. */
export function registerRulesCommand(program: Command): void {
  const io: RulesCommandIo = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
  const rules = program.command('rules').description('Fathom YAML rules: check, compile and test');
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
  const usage = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);
  rules
    .command('test')
    .description(
      'run policy cases (facts in, expected routes/denials/flags out); a failing case prints its rule trace',
    )
    .argument('<dirs...>', 'rules directories, as the broker loads them (rules/builtin first)')
    .requiredOption('--cases <file>', 'cases file (YAML)')
    .option('--verbose', 'print decisions and the rule trace of every case')
    .exitOverride(usage)
    .action((dirs: string[], opts: { cases: string; verbose?: boolean }) => {
      process.exitCode = rulesTestCommand(dirs, opts, io);
    });
}
