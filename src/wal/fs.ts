// The file operations the WAL needs, behind a small interface: the real one (node:fs) below,
// and a fault-injecting in-memory one for tests (fault-fs.ts) that can lose unsynced data.
import {
  closeSync,
  constants,
  fdatasyncSync,
  promises as fsp,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';

/** An open file. */
export interface WalFileHandle {
  /** Appends `buffer[offset, offset+length)` at the end; may write fewer bytes (returns the count). */
  append(buffer: Buffer, offset: number, length: number): Promise<number>;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns the count. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** fdatasync: data and the size are durable when it resolves. */
  datasync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/**
 * `read`: an existing file, read only. `append`: an existing file, appending. `create`: a new
 * file (fails with EEXIST if the name exists), appending.
 */
export type WalOpenMode = 'read' | 'append' | 'create';

export interface WalFs {
  /** Creates the directory and missing parents; true if it had to be created. */
  mkdirp(dir: string): Promise<boolean>;
  /** Names in a directory (no `.`/`..`). */
  list(dir: string): Promise<string[]>;
  open(path: string, mode: WalOpenMode): Promise<WalFileHandle>;
  /** A whole (small) file. */
  readFile(path: string): Promise<Buffer>;
  /** A second name for a file; fails with EEXIST if `to` exists. */
  link(from: string, to: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory: names created, renamed or removed in it become durable. */
  syncDir(dir: string): Promise<void>;
  stat(path: string): Promise<{ size: number; isDirectory: boolean }>;
  /** Bytes available to this user on the file system holding `path`. */
  statfs(path: string): Promise<{ freeBytes: number }>;
  /** Identifies this boot of the machine (a lock held before a reboot is stale). */
  bootId(): string;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

const OPEN_FLAGS: Record<WalOpenMode, number> = {
  read: constants.O_RDONLY,
  append: constants.O_WRONLY | constants.O_APPEND,
  create: constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL,
};

let cachedBootId: string | undefined;
function linuxBootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = ''; // not Linux: stale locks are told apart by pid only
    }
  }
  return cachedBootId;
}

class SyncFile implements WalFileHandle {
  constructor(private readonly fd: number) {}
  async append(buffer: Buffer, offset: number, length: number): Promise<number> {
    return writeSync(this.fd, buffer, offset, length);
  }
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return readSync(this.fd, buffer, offset, length, position);
  }
  async datasync(): Promise<void> {
    fdatasyncSync(this.fd);
  }
  async truncate(size: number): Promise<void> {
    ftruncateSync(this.fd, size);
  }
  async size(): Promise<number> {
    return fstatSync(this.fd).size;
  }
  async close(): Promise<void> {
    closeSync(this.fd);
  }
}

class PoolFile implements WalFileHandle {
  constructor(private readonly fh: fsp.FileHandle) {}
  async append(buffer: Buffer, offset: number, length: number): Promise<number> {
    return (await this.fh.write(buffer, offset, length)).bytesWritten;
  }
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.read(buffer, offset, length, position)).bytesRead;
  }
  datasync(): Promise<void> {
    return this.fh.datasync();
  }
  truncate(size: number): Promise<void> {
    return this.fh.truncate(size);
  }
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

function syncDirNow(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface NodeWalFsOptions {
  /**
   * `sync` (default): blocking write + fdatasync on the main thread, the lowest latency and
   * highest throughput measured (the event loop waits for each flush). `pool`: the libuv
   * threadpool (FileHandle), which does not block the loop but is slower and suffers when the
   * pool is busy (crypto, zlib, dns); raise UV_THREADPOOL_SIZE if you pick it.
   */
  readonly io?: 'sync' | 'pool';
}

/** The real file system. */
export function createNodeWalFs(options: NodeWalFsOptions = {}): WalFs {
  const pool = options.io === 'pool';
  return {
    async mkdirp(dir) {
      const made = mkdirSync(dir, { recursive: true, mode: DIR_MODE });
      if (made === undefined) return false;
      // Every new directory's name is durable before anything goes in.
      for (let d = resolve(dir); ; d = dirname(d)) {
        syncDirNow(dirname(d));
        if (d === resolve(made) || dirname(d) === d) break;
      }
      return true;
    },
    async list(dir) {
      return readdirSync(dir);
    },
    async open(path, mode) {
      if (pool) return new PoolFile(await fsp.open(path, OPEN_FLAGS[mode], FILE_MODE));
      return new SyncFile(openSync(path, OPEN_FLAGS[mode], FILE_MODE));
    },
    async readFile(path) {
      return readFileSync(path);
    },
    async link(from, to) {
      linkSync(from, to);
    },
    async rename(from, to) {
      renameSync(from, to);
    },
    async unlink(path) {
      unlinkSync(path);
    },
    async syncDir(dir) {
      syncDirNow(dir);
    },
    async stat(path) {
      const s = statSync(path);
      return { size: s.size, isDirectory: s.isDirectory() };
    },
    async statfs(path) {
      const s = statfsSync(path);
      return { freeBytes: s.bavail * s.bsize };
    },
    bootId: linuxBootId,
  };
}

/** The real file system, blocking I/O (see NodeWalFsOptions). */
export const nodeWalFs: WalFs = createNodeWalFs();
