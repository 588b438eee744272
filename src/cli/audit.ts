// `nautilus audit verify <file>`: checks an audit log's hash chain.
// Exit 0 chain intact, 1 problems found, 2 bad arguments or unreadable file.
import type { Command, CommanderError } from 'commander';
import { verifyAuditFile } from '../audit/index.ts';
import { NautilusError } from '../errors.ts';

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const stdio: CliOutput = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Runs the verification and returns the exit code. */
export async function auditVerifyCommand(file: string, io: CliOutput = stdio): Promise<number> {
  let result: Awaited<ReturnType<typeof verifyAuditFile>>;
  try {
    result = await verifyAuditFile(file);
  } catch (err) {
    io.err(`nautilus audit verify: ${(err as Error).message}\n`);
    return err instanceof NautilusError && err.code === 'NAU_AUDIT_UNREADABLE' ? 2 : 1;
  }
  if (result.ok) {
    io.out(`ok: ${result.entries} entries, chain intact\n`);
    if (result.lastSeq !== null) io.out(`head: seq ${result.lastSeq} sha256 ${result.lastHash}\n`);
    return 0;
  }
  for (const p of result.problems) io.out(`line ${p.line}: ${p.problem}\n`);
  io.out(`FAILED: ${result.problems.length} problems in ${result.entries} entries\n`);
  return 1;
}

export function registerAuditCommand(program: Command): void {
  const usage = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);
  const audit = program.command('audit').description('audit log tools').exitOverride(usage);
  audit
    .command('verify')
    .description('verify an audit log file: JSON lines, seq continuity and the prev_hash chain')
    .argument('<file>', 'audit log (JSONL)')
    .exitOverride(usage)
    .action(async (file: string) => {
      process.exitCode = await auditVerifyCommand(file);
    });
}
