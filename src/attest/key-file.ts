// The attestation signing key: an Ed25519 PKCS#8 PEM file given by the operator, or one generated
// once into `<dataDir>/attestation-ed25519.pem` (mode 0600) and reused. A key file readable or
// writable by group/others is refused unless the caller explicitly allows it.
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { NautilusError } from '../errors.ts';

export const GENERATED_KEY_FILE = 'attestation-ed25519.pem';

export interface AttestationKeyOptions {
  /** PEM file holding an Ed25519 private key (PKCS#8, `BEGIN PRIVATE KEY`). */
  readonly privateKeyPath?: string;
  /** Directory for the generated key when `privateKeyPath` is not given. */
  readonly dataDir?: string;
  /** Accept a key file with group/other permission bits (e.g. a 0644 mounted secret). */
  readonly allowInsecurePermissions?: boolean;
}

export interface AttestationKey {
  readonly privateKey: KeyObject;
  /** Absolute path of the key file. */
  readonly path: string;
  /** True when this call generated the file. */
  readonly created: boolean;
}

function keyError(code: `NAU_${string}`, path: string, message: string, cause?: unknown) {
  return new NautilusError(code, `attestation key ${path}: ${message}`, 500, {
    location: { file: path },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Reads, permission-checks and parses an Ed25519 private key file. */
export async function readAttestationKey(
  path: string,
  allowInsecurePermissions = false,
): Promise<KeyObject> {
  const file = resolve(path);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    throw keyError('NAU_ATTEST_KEY_UNREADABLE', file, (err as Error).message, err);
  }
  let pem: string;
  try {
    // fstat on the open descriptor: the mode checked is the mode of the bytes read.
    const { mode } = await fh.stat();
    if ((mode & 0o077) !== 0 && !allowInsecurePermissions && process.platform !== 'win32') {
      const octal = (mode & 0o777).toString(8).padStart(4, '0');
      throw keyError(
        'NAU_ATTEST_KEY_INSECURE',
        file,
        `permissions ${octal} let group or others access the private key; run \`chmod 600 ${file}\` (or allow insecure permissions explicitly)`,
      );
    }
    pem = await fh.readFile('utf8');
  } catch (err) {
    if (err instanceof NautilusError) throw err;
    throw keyError('NAU_ATTEST_KEY_UNREADABLE', file, (err as Error).message, err);
  } finally {
    await fh.close();
  }
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) {
    const hint = pem.includes('ENCRYPTED PRIVATE KEY') ? ' (encrypted keys are not supported)' : '';
    throw keyError(
      'NAU_ATTEST_KEY_INVALID',
      file,
      `not a PKCS#8 PEM private key ("-----BEGIN PRIVATE KEY-----" not found)${hint}`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw keyError('NAU_ATTEST_KEY_INVALID', file, (err as Error).message, err);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw keyError(
      'NAU_ATTEST_KEY_INVALID',
      file,
      `is a ${key.asymmetricKeyType ?? 'unknown'} key; attestation needs Ed25519`,
    );
  }
  return key;
}

/**
 * The operator's key when `privateKeyPath` is set; otherwise the key in
 * `<dataDir>/attestation-ed25519.pem`, generated on first use. Racing processes agree on one key:
 * the file is written under a temporary name and linked into place, which never overwrites.
 */
export async function loadAttestationKey(options: AttestationKeyOptions): Promise<AttestationKey> {
  const insecureOk = options.allowInsecurePermissions ?? false;
  if (options.privateKeyPath !== undefined) {
    const path = resolve(options.privateKeyPath);
    return { privateKey: await readAttestationKey(path, insecureOk), path, created: false };
  }
  if (options.dataDir === undefined) {
    throw new NautilusError(
      'NAU_ATTEST_KEY_CONFIG',
      'attestation key: neither a private key path nor a data directory was given',
      500,
    );
  }
  const path = join(resolve(options.dataDir), GENERATED_KEY_FILE);
  let created = false;
  try {
    await fsp.access(path);
  } catch (err) {
    // Anything but "absent" (say EACCES) is reported by the read below, naming the file.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      created = await generateKeyFile(resolve(options.dataDir), path);
    }
  }
  return { privateKey: await readAttestationKey(path, insecureOk), path, created };
}

/** Writes a fresh key to `path` unless one appears first; true when ours was placed. */
async function generateKeyFile(dir: string, path: string): Promise<boolean> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const fh = await fsp.open(tmp, 'wx', 0o600);
    try {
      await fh.chmod(0o600); // the umask cannot widen it, but be explicit
      await fh.writeFile(pem);
      await fh.sync();
    } finally {
      await fh.close();
    }
    let placed = true;
    try {
      await fsp.link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      placed = false; // another process won the race: use its key
    }
    const dh = await fsp.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    return placed;
  } catch (err) {
    throw keyError('NAU_ATTEST_KEY_WRITE_FAILED', path, (err as Error).message, err);
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}
