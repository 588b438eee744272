// The file operations the audit log needs, behind a small interface so tests can inject faults
// (short writes, EIO on fsync) without touching the log's logic.
import { constants, promises as fsp } from 'node:fs';

/** An open audit file: reads at a position, appends (O_APPEND) at the end. */
export interface AuditFileHandle {
  size(): Promise<number>;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns the count. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Appends `buffer[offset, offset+length)`; may write fewer bytes (returns the count). */
  append(buffer: Buffer, offset: number, length: number): Promise<number>;
  sync(): Promise<void>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

export interface AuditFs {
  /** Opens (creating with `mode` if absent) for reading and appending; says if it was created. */
  open(path: string, mode: number): Promise<{ handle: AuditFileHandle; created: boolean }>;
  /** fsync of a directory, so a newly created file's name is durable. */
  syncDir(path: string): Promise<void>;
}

class NodeAuditFile implements AuditFileHandle {
  constructor(private readonly fh: fsp.FileHandle) {}
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.read(buffer, offset, length, position)).bytesRead;
  }
  async append(buffer: Buffer, offset: number, length: number): Promise<number> {
    return (await this.fh.write(buffer, offset, length)).bytesWritten;
  }
  sync(): Promise<void> {
    return this.fh.sync();
  }
  truncate(size: number): Promise<void> {
    return this.fh.truncate(size);
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** The real file system. */
export const nodeAuditFs: AuditFs = {
  async open(path, mode) {
    const flags = constants.O_RDWR | constants.O_APPEND;
    try {
      return { handle: new NodeAuditFile(await fsp.open(path, flags, mode)), created: false };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // O_EXCL: we hold the lock, so EEXIST here would mean someone bypassed it; let it throw.
    const fh = await fsp.open(path, flags | constants.O_CREAT | constants.O_EXCL, mode);
    return { handle: new NodeAuditFile(fh), created: true };
  },
  async syncDir(path) {
    const fh = await fsp.open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
