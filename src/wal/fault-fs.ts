// An in-memory WalFs for tests that models what a power loss can do. Each file keeps its current
// bytes (the page cache) and the bytes made durable by its last datasync; each directory keeps its
// current names and the names made durable by its last syncDir. `crash()` returns the machine
// after a power cut: unsynced bytes dropped, kept, or kept as an arbitrary subset of sectors (the
// holes zero-filled or garbage), and unsynced name changes reverted, kept or partly kept.
// Faults: errno errors on chosen operations, short writes, a disk capacity (ENOSPC), a hook run
// before every operation, and a power cut after which every operation fails.
// Simplification: directories themselves are durable as soon as they are created.
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { seededRandom } from '../prng.ts';
import type { WalFileHandle, WalFs, WalOpenMode } from './fs.ts';

export type FaultOpName =
  | 'mkdirp'
  | 'list'
  | 'open'
  | 'readFile'
  | 'link'
  | 'rename'
  | 'unlink'
  | 'syncDir'
  | 'stat'
  | 'statfs'
  | 'append'
  | 'read'
  | 'datasync'
  | 'truncate'
  | 'size'
  | 'close';

export interface FaultOp {
  readonly op: FaultOpName;
  readonly path: string;
  /** open: the mode; append: bytes asked; truncate: the new size; rename/link: the target. */
  readonly arg?: string | number;
}

export interface FaultRule {
  readonly op: FaultOpName;
  /** Only operations whose path contains this string or matches this RegExp. */
  readonly path?: string | RegExp;
  /** Let this many matching operations pass first (default 0). */
  readonly skip?: number;
  /** How many matching operations fail (default 1; Infinity = every later one). */
  readonly times?: number;
  /** errno code thrown (default EIO). */
  readonly code?: string;
}

export interface CrashOptions {
  /** What happens to bytes written since a file's last datasync (default `drop`). */
  readonly unsynced?: 'drop' | 'keep' | 'random';
  /** What happens to names created/renamed/removed since a directory's last syncDir (default `drop`). */
  readonly dirOps?: 'drop' | 'keep' | 'random';
  /** Seed of the choices made by the `random` modes. */
  readonly seed?: number;
  /** What unwritten holes read back as (default zeros). */
  readonly fill?: 'zero' | 'garbage';
}

export interface FaultFsOptions {
  /** Unit of torn writes (default 512). */
  readonly sectorBytes?: number;
  /** Total bytes the disk holds; writes past it are short, then fail with ENOSPC. */
  readonly capacityBytes?: number;
}

/** A growable byte array. */
class Bytes {
  private buf: Buffer;
  length = 0;
  constructor(initial?: Buffer) {
    this.buf = Buffer.alloc(Math.max(256, initial?.length ?? 0));
    if (initial !== undefined) {
      initial.copy(this.buf);
      this.length = initial.length;
    }
  }
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
  clone(): Bytes {
    return new Bytes(this.view());
  }
  private reserve(n: number): void {
    if (n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(n, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  /** Writes at `pos`; a gap past the end is filled by `fill`. */
  writeAt(pos: number, src: Buffer, fill: (n: number) => Buffer): void {
    this.reserve(pos + src.length);
    if (pos > this.length) fill(pos - this.length).copy(this.buf, this.length);
    src.copy(this.buf, pos);
    this.length = Math.max(this.length, pos + src.length);
  }
  truncate(n: number, fill: (n: number) => Buffer): void {
    if (n > this.length) {
      this.reserve(n);
      fill(n - this.length).copy(this.buf, this.length);
    }
    this.length = n;
  }
}

type PendingWrite =
  | { readonly kind: 'write'; readonly offset: number; readonly data: Buffer }
  | { readonly kind: 'truncate'; readonly size: number };

class Inode {
  readonly pending: PendingWrite[] = [];
  constructor(
    public data = new Bytes(),
    public durable = new Bytes(),
  ) {}
}

type DirOp =
  | { readonly kind: 'add'; readonly name: string; readonly inode: Inode }
  | { readonly kind: 'remove'; readonly name: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string; readonly inode: Inode };

class Dir {
  pending: DirOp[] = [];
  constructor(
    public entries = new Map<string, Inode>(),
    public durable = new Map<string, Inode>(),
  ) {}
}

function errno(code: string, op: string, path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: injected fault, ${op} '${path}'`);
  e.code = code;
  e.syscall = op;
  e.path = path;
  return e;
}

// Crash choices are reproducible: the PRNG is seeded (re-exported for the WAL's tests).
export { seededRandom };

const zeros = (n: number): Buffer => Buffer.alloc(n);

export class FaultFs implements WalFs {
  /** Mutating operations and syncs in order (`append wal-….jsonl 120`, `datasync …`, …). */
  readonly events: string[] = [];
  /** Run before every operation with what it is about to do; throw to make it fail. */
  beforeOp: ((op: FaultOp) => void) | null = null;
  /** Largest number of bytes one append writes (short writes). */
  maxWriteBytes = Number.POSITIVE_INFINITY;
  capacityBytes: number;
  readonly sectorBytes: number;
  private readonly rules: { rule: FaultRule; seen: number; failed: number }[] = [];
  private readonly dirs = new Map<string, Dir>();
  private readonly boot = randomUUID();
  private powered = true;

  constructor(options: FaultFsOptions = {}) {
    this.sectorBytes = options.sectorBytes ?? 512;
    this.capacityBytes = options.capacityBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Makes matching operations fail (see FaultRule). */
  inject(rule: FaultRule): void {
    this.rules.push({ rule, seen: 0, failed: 0 });
  }

  clearFaults(): void {
    this.rules.length = 0;
    this.beforeOp = null;
    this.maxWriteBytes = Number.POSITIVE_INFINITY;
  }

  /** Power cut: every later operation fails with EIO until `crash()` gives the rebooted disk. */
  cutPower(): void {
    this.powered = false;
  }

  get poweredOn(): boolean {
    return this.powered;
  }

  /** Adds a marker to `events` (tests record their own steps between the file operations). */
  mark(text: string): void {
    this.events.push(text);
  }

  /** The disk as it is after a power loss now; this instance is dead from here on. */
  crash(options: CrashOptions = {}): FaultFs {
    this.powered = false;
    return this.crashImage(options);
  }

  /**
   * The disk as a power loss now would leave it, while this instance carries on: one run can
   * yield many crash points (each image is independent; restart something on it).
   */
  crashImage(options: CrashOptions = {}): FaultFs {
    const rnd = seededRandom(options.seed ?? 1);
    const fill =
      options.fill === 'garbage'
        ? (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)))
        : zeros;
    const next = new FaultFs({ sectorBytes: this.sectorBytes, capacityBytes: this.capacityBytes });
    const converted = new Map<Inode, Inode>();
    const convert = (inode: Inode): Inode => {
      let out = converted.get(inode);
      if (out === undefined) {
        const bytes = this.crashBytes(inode, options.unsynced ?? 'drop', rnd, fill);
        out = new Inode(bytes, bytes.clone());
        converted.set(inode, out);
      }
      return out;
    };
    for (const [path, dir] of this.dirs) {
      const names = crashNames(dir, options.dirOps ?? 'drop', rnd);
      const entries = new Map<string, Inode>();
      for (const [name, inode] of names) entries.set(name, convert(inode));
      next.dirs.set(path, new Dir(entries, new Map(entries)));
    }
    return next;
  }

  private crashBytes(
    inode: Inode,
    mode: 'drop' | 'keep' | 'random',
    rnd: () => number,
    fill: (n: number) => Buffer,
  ): Bytes {
    if (mode === 'drop') return inode.durable.clone();
    if (mode === 'keep') return inode.data.clone();
    const out = inode.durable.clone();
    const sector = this.sectorBytes;
    for (const op of inode.pending) {
      if (op.kind === 'truncate') {
        if (rnd() < 0.5) out.truncate(op.size, fill);
        continue;
      }
      // Sectors of the write reach the disk independently and in any order.
      let pos = op.offset;
      const end = op.offset + op.data.length;
      while (pos < end) {
        const stop = Math.min(end, (Math.floor(pos / sector) + 1) * sector);
        if (rnd() < 0.5)
          out.writeAt(pos, op.data.subarray(pos - op.offset, stop - op.offset), fill);
        pos = stop;
      }
    }
    // The size may have been persisted before the data it covers.
    if (out.length < inode.data.length && rnd() < 0.5) out.truncate(inode.data.length, fill);
    return out;
  }

  // ---- helpers for tests (synchronous, no faults) ----------------------------------------

  /** Current bytes of a file (what a reader sees now). */
  contents(path: string): Buffer {
    return Buffer.from(this.inodeAt(path, 'contents').data.view());
  }

  /** Replaces a file's bytes, durably (creates it if needed): for corrupting a WAL on purpose. */
  setContents(path: string, data: Buffer): void {
    const { dir, name } = this.locate(path, 'setContents');
    const inode = dir.entries.get(name) ?? new Inode();
    inode.data = new Bytes(data);
    inode.durable = new Bytes(data);
    inode.pending.length = 0;
    dir.entries.set(name, inode);
    dir.durable.set(name, inode);
  }

  exists(path: string): boolean {
    const p = posix.normalize(path);
    if (this.dirs.has(p)) return true;
    return this.dirs.get(posix.dirname(p))?.entries.has(posix.basename(p)) ?? false;
  }

  /** Names in a directory, sorted. */
  names(dir: string): string[] {
    return [...(this.dirs.get(posix.normalize(dir))?.entries.keys() ?? [])].sort();
  }

  // ---- WalFs ------------------------------------------------------------------------------

  private check(op: FaultOp): void {
    if (!this.powered) throw errno('EIO', `${op.op} (power is off)`, op.path);
    this.beforeOp?.(op);
    if (!this.powered) throw errno('EIO', `${op.op} (power is off)`, op.path);
    for (const r of this.rules) {
      if (r.rule.op !== op.op) continue;
      const p = r.rule.path;
      if (p !== undefined && (typeof p === 'string' ? !op.path.includes(p) : !p.test(op.path))) {
        continue;
      }
      r.seen++;
      if (r.seen <= (r.rule.skip ?? 0)) continue;
      if (r.failed >= (r.rule.times ?? 1)) continue;
      r.failed++;
      throw errno(r.rule.code ?? 'EIO', op.op, op.path);
    }
  }

  private locate(path: string, op: string): { dir: Dir; name: string; path: string } {
    const p = posix.normalize(path);
    const dir = this.dirs.get(posix.dirname(p));
    if (dir === undefined) throw errno('ENOENT', op, p);
    return { dir, name: posix.basename(p), path: p };
  }

  private inodeAt(path: string, op: string): Inode {
    const { dir, name, path: p } = this.locate(path, op);
    const inode = dir.entries.get(name);
    if (inode === undefined) throw errno('ENOENT', op, p);
    return inode;
  }

  private usedBytes(): number {
    const seen = new Set<Inode>();
    let used = 0;
    for (const dir of this.dirs.values()) {
      for (const inode of dir.entries.values()) {
        if (seen.has(inode)) continue;
        seen.add(inode);
        used += inode.data.length;
      }
    }
    return used;
  }

  async mkdirp(dir: string): Promise<boolean> {
    const p = posix.normalize(dir);
    this.check({ op: 'mkdirp', path: p });
    if (this.dirs.has(p)) return false;
    let cur = p;
    while (!this.dirs.has(cur)) {
      this.dirs.set(cur, new Dir());
      const parent = posix.dirname(cur);
      if (parent === cur) break;
      cur = parent;
    }
    return true;
  }

  async list(dir: string): Promise<string[]> {
    const p = posix.normalize(dir);
    this.check({ op: 'list', path: p });
    const d = this.dirs.get(p);
    if (d === undefined) throw errno('ENOENT', 'scandir', p);
    return [...d.entries.keys()];
  }

  async open(path: string, mode: WalOpenMode): Promise<WalFileHandle> {
    this.check({ op: 'open', path, arg: mode });
    const { dir, name, path: p } = this.locate(path, 'open');
    let inode = dir.entries.get(name);
    if (mode === 'create') {
      if (inode !== undefined) throw errno('EEXIST', 'open', p);
      inode = new Inode();
      dir.entries.set(name, inode);
      dir.pending.push({ kind: 'add', name, inode });
      this.events.push(`create ${name}`);
    } else if (inode === undefined) {
      throw errno('ENOENT', 'open', p);
    }
    return new FaultFile(this, inode, p, mode !== 'read');
  }

  async readFile(path: string): Promise<Buffer> {
    this.check({ op: 'readFile', path });
    return Buffer.from(this.inodeAt(path, 'open').data.view());
  }

  async link(from: string, to: string): Promise<void> {
    this.check({ op: 'link', path: from, arg: to });
    const inode = this.inodeAt(from, 'link');
    const target = this.locate(to, 'link');
    if (target.dir.entries.has(target.name)) throw errno('EEXIST', 'link', target.path);
    target.dir.entries.set(target.name, inode);
    target.dir.pending.push({ kind: 'add', name: target.name, inode });
    this.events.push(`link ${posix.basename(from)} ${target.name}`);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check({ op: 'rename', path: from, arg: to });
    const src = this.locate(from, 'rename');
    const dst = this.locate(to, 'rename');
    if (src.dir !== dst.dir) throw errno('EXDEV', 'rename', src.path);
    const inode = src.dir.entries.get(src.name);
    if (inode === undefined) throw errno('ENOENT', 'rename', src.path);
    src.dir.entries.delete(src.name);
    src.dir.entries.set(dst.name, inode);
    src.dir.pending.push({ kind: 'rename', from: src.name, to: dst.name, inode });
    this.events.push(`rename ${src.name} ${dst.name}`);
  }

  async unlink(path: string): Promise<void> {
    this.check({ op: 'unlink', path });
    const { dir, name, path: p } = this.locate(path, 'unlink');
    if (!dir.entries.delete(name)) throw errno('ENOENT', 'unlink', p);
    dir.pending.push({ kind: 'remove', name });
    this.events.push(`unlink ${name}`);
  }

  async syncDir(dirPath: string): Promise<void> {
    const p = posix.normalize(dirPath);
    this.check({ op: 'syncDir', path: p });
    const dir = this.dirs.get(p);
    if (dir === undefined) throw errno('ENOENT', 'fsync', p);
    dir.durable = new Map(dir.entries);
    dir.pending = [];
    this.events.push(`syncDir ${p}`);
  }

  async stat(path: string): Promise<{ size: number; isDirectory: boolean }> {
    this.check({ op: 'stat', path });
    const p = posix.normalize(path);
    if (this.dirs.has(p)) return { size: 0, isDirectory: true };
    return { size: this.inodeAt(p, 'stat').data.length, isDirectory: false };
  }

  async statfs(path: string): Promise<{ freeBytes: number }> {
    this.check({ op: 'statfs', path });
    if (this.capacityBytes === Number.POSITIVE_INFINITY) return { freeBytes: 2 ** 50 };
    return { freeBytes: Math.max(0, this.capacityBytes - this.usedBytes()) };
  }

  bootId(): string {
    return this.boot;
  }

  // ---- used by FaultFile ------------------------------------------------------------------

  /** @internal */
  fileOp(op: FaultOp): void {
    this.check(op);
  }

  /** @internal Bytes an append may write now (short writes, capacity). */
  writable(asked: number): number {
    const free = this.capacityBytes - this.usedBytes();
    return Math.max(0, Math.min(asked, this.maxWriteBytes, free));
  }
}

function crashNames(
  dir: Dir,
  mode: 'drop' | 'keep' | 'random',
  rnd: () => number,
): Map<string, Inode> {
  if (mode === 'keep') return new Map(dir.entries);
  const names = new Map(dir.durable);
  if (mode === 'drop') return names;
  for (const op of dir.pending) {
    if (rnd() >= 0.5) continue;
    if (op.kind === 'add') names.set(op.name, op.inode);
    else if (op.kind === 'remove') names.delete(op.name);
    else if (names.get(op.from) === op.inode) {
      names.delete(op.from);
      names.set(op.to, op.inode);
    }
  }
  return names;
}

class FaultFile implements WalFileHandle {
  private closed = false;
  private readonly name: string;
  constructor(
    private readonly fs: FaultFs,
    private readonly inode: Inode,
    private readonly path: string,
    private readonly writable: boolean,
  ) {
    this.name = posix.basename(path);
  }

  private check(op: FaultOpName, arg?: string | number): void {
    this.fs.fileOp(arg === undefined ? { op, path: this.path } : { op, path: this.path, arg });
    if (this.closed) throw errno('EBADF', op, this.path);
  }

  async append(buffer: Buffer, offset: number, length: number): Promise<number> {
    this.check('append', length);
    if (!this.writable) throw errno('EBADF', 'write', this.path);
    const n = this.fs.writable(length);
    if (n === 0 && length > 0) throw errno('ENOSPC', 'write', this.path);
    const data = Buffer.from(buffer.subarray(offset, offset + n));
    const at = this.inode.data.length;
    this.inode.data.writeAt(at, data, zeros);
    this.inode.pending.push({ kind: 'write', offset: at, data });
    this.fs.events.push(`append ${this.name} ${n}`);
    return n;
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.check('read');
    const src = this.inode.data.view();
    if (position >= src.length) return 0;
    return src.copy(buffer, offset, position, Math.min(src.length, position + length));
  }

  async datasync(): Promise<void> {
    this.check('datasync');
    // Replays the pending operations onto the durable copy: O(unsynced bytes), not O(file).
    for (const op of this.inode.pending) {
      if (op.kind === 'write') this.inode.durable.writeAt(op.offset, op.data, zeros);
      else this.inode.durable.truncate(op.size, zeros);
    }
    this.inode.pending.length = 0;
    this.fs.events.push(`datasync ${this.name}`);
  }

  async truncate(size: number): Promise<void> {
    this.check('truncate', size);
    if (!this.writable) throw errno('EBADF', 'ftruncate', this.path);
    this.inode.data.truncate(size, zeros);
    this.inode.pending.push({ kind: 'truncate', size });
    this.fs.events.push(`truncate ${this.name} ${size}`);
  }

  async size(): Promise<number> {
    this.check('size');
    return this.inode.data.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.fs.poweredOn) this.fs.fileOp({ op: 'close', path: this.path });
  }
}
