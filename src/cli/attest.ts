// `nautilus attest verify <token> --jwks <file|url>`: verifies an attestation and prints its claims.
// Exit 0 valid, 1 invalid, 2 bad arguments or an unreadable token/JWKS.
import { readFile } from 'node:fs/promises';
import { type Command, type CommanderError, InvalidArgumentError } from 'commander';
import { type Jwks, verifyAttestation } from '../attest/index.ts';
import type { CliOutput } from './audit.ts';

const stdio: CliOutput = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export interface AttestVerifyOptions {
  readonly jwks: string;
  readonly issuer?: string;
  /** Fetch timeout for a JWKS URL, in ms (default 5000). */
  readonly timeoutMs?: number;
}

class InputError extends Error {}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function loadJwks(source: string, timeoutMs: number): Promise<Jwks> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    let res: Response;
    // A Nautilus server wants an API key on every route but its probes: NAUTILUS_API_KEY.
    const key = process.env.NAUTILUS_API_KEY;
    try {
      res = await fetch(source, {
        signal: AbortSignal.timeout(timeoutMs),
        ...(key === undefined || key === '' ? {} : { headers: { authorization: `Bearer ${key}` } }),
      });
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : e.message;
      throw new InputError(`cannot fetch JWKS ${source}: ${why}`);
    }
    if (!res.ok) throw new InputError(`cannot fetch JWKS ${source}: HTTP ${res.status}`);
    text = await res.text();
  } else {
    try {
      text = await readFile(source, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read JWKS file ${source}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as Jwks;
  } catch (err) {
    throw new InputError(`JWKS ${source} is not JSON: ${(err as Error).message}`);
  }
}

/** Verifies `token` (`-` reads it from stdin) and returns the exit code. */
export async function attestVerifyCommand(
  token: string,
  options: AttestVerifyOptions,
  io: CliOutput = stdio,
): Promise<number> {
  let jwks: Jwks;
  let text: string;
  try {
    text = (token === '-' ? await readStdin() : token).trim();
    jwks = await loadJwks(options.jwks, options.timeoutMs ?? 5000);
  } catch (err) {
    io.err(`nautilus attest verify: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const claims = await verifyAttestation(text, jwks, {
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    });
    io.out(`${JSON.stringify(claims, null, 2)}\n`);
    return 0;
  } catch (err) {
    io.out(`${(err as Error).message}\n`);
    return 1;
  }
}

export function registerAttestCommand(program: Command): void {
  const usage = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);
  const attest = program.command('attest').description('attestation tools').exitOverride(usage);
  attest
    .command('verify')
    .description('verify an attestation token against a JWKS and print its claims')
    .argument('<token>', 'compact JWS, or - to read it from stdin')
    .requiredOption(
      '--jwks <file|url>',
      'JWKS file, or an http(s) URL such as .../v1/keys/jwks.json (sent with the API key in NAUTILUS_API_KEY, if set)',
    )
    .option('--issuer <iss>', 'require this iss claim')
    .option('--timeout <ms>', 'timeout for fetching a JWKS URL', parseTimeout, 5000)
    .exitOverride(usage)
    .action(async (token: string, opts: { jwks: string; issuer?: string; timeout: number }) => {
      process.exitCode = await attestVerifyCommand(token, {
        jwks: opts.jwks,
        timeoutMs: opts.timeout,
        ...(opts.issuer === undefined ? {} : { issuer: opts.issuer }),
      });
    });
}

function parseTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError('expected a positive integer number of milliseconds');
  }
  return n;
}
