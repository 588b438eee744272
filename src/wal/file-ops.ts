// Small file operations the recovery repairs are made of, over WalFs.
import type { WalFileHandle, WalFs } from './fs.ts';

/** Copies bytes [start, end) of `from` (then `extra`) into a new file `to`, durably. */
export async function copyRange(
  fs: WalFs,
  from: string,
  start: number,
  end: number,
  to: string,
  extra: Buffer | null = null,
) {
  await fs.unlink(to).catch(() => {}); // a leftover of an interrupted repair
  const src = await fs.open(from, 'read');
  const dst = await fs.open(to, 'create');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let pos = start;
    while (pos < end) {
      const n = await src.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (n === 0) break;
      let off = 0;
      while (off < n) off += await dst.append(buf, off, n - off);
      pos += n;
    }
    for (let off = 0; extra !== null && off < extra.length; ) {
      off += await dst.append(extra, off, extra.length - off);
    }
    await dst.datasync();
  } finally {
    await src.close().catch(() => {});
    await dst.close().catch(() => {});
  }
}

/** Cuts a file to `size` bytes, durably. */
export async function truncateFile(fs: WalFs, path: string, size: number): Promise<void> {
  const file = await fs.open(path, 'append');
  try {
    await file.truncate(size);
    await file.datasync();
  } finally {
    await file.close().catch(() => {});
  }
}

/** `base`, or `base.1`, `base.2`, … : a name not yet used in `dir`. */
export async function freeName(fs: WalFs, dir: string, base: string): Promise<string> {
  const names = new Set(await fs.list(dir));
  let name = base;
  for (let i = 1; names.has(name); i++) name = `${base}.${i}`;
  return name;
}

/** Appends all of `buf`, looping over short writes; a write that makes no progress is an error. */
export async function writeFully(file: WalFileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const n = await file.append(buf, off, buf.length - off);
    if (n <= 0) {
      const e: NodeJS.ErrnoException = new Error('EIO: write made no progress');
      e.code = 'EIO';
      throw e;
    }
    off += n;
  }
}
