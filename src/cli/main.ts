#!/usr/bin/env node
// The `nautilus` command line.
import { Command } from 'commander';
import { registerAttestCommand } from './attest.ts';
import { registerAuditCommand } from './audit.ts';
import { clipsCommand } from './clips.ts';
import { registerConfigCommand } from './config.ts';
import { registerRequestCommand } from './request.ts';
import { registerRulesCommand } from './rules.ts';
import { registerServeCommand } from './serve.ts';
import { registerWalCommand } from './wal.ts';

const program = new Command();
program.name('nautilus').description('Policy-first data broker for AI agents').version('0.1.0');

program
  .command('clips')
  .description('run CLIPS programs (batch files and .clp construct files) like `clips -f2`')
  .option(
    '-f, --batch <file>',
    'batch file of commands to run (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .argument('[files...]', '.clp files of constructs to load first')
  .action((files: string[], opts: { batch: string[] }) => {
    process.exitCode = clipsCommand({ batch: opts.batch, files });
  });

registerRulesCommand(program);

registerAuditCommand(program);
registerAttestCommand(program);
registerConfigCommand(program);
registerRequestCommand(program);
registerServeCommand(program);
registerWalCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
