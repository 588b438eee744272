// Streams a file's lines as exact bytes (hashing needs the bytes, not decoded text).
export type ReadAt = (
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
) => Promise<number>;

export interface RawLine {
  /** The line's bytes without its newline. */
  readonly bytes: Buffer;
  /** 1-based line number. */
  readonly line: number;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** False for a final piece with no terminating newline (a torn tail). */
  readonly terminated: boolean;
}

const CHUNK = 1 << 20;

export async function* readLines(read: ReadAt): AsyncGenerator<RawLine> {
  const chunk = Buffer.allocUnsafe(CHUNK);
  let pieces: Buffer[] = [];
  let lineStart = 0;
  let position = 0;
  let line = 1;
  for (;;) {
    const n = await read(chunk, 0, CHUNK, position);
    if (n === 0) break;
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl === -1 || nl >= n) break;
      pieces.push(Buffer.from(chunk.subarray(from, nl)));
      yield { bytes: Buffer.concat(pieces), line, offset: lineStart, terminated: true };
      pieces = [];
      line++;
      lineStart = position + nl + 1;
      from = nl + 1;
    }
    if (from < n) pieces.push(Buffer.from(chunk.subarray(from, n)));
    position += n;
  }
  if (pieces.length > 0) {
    yield { bytes: Buffer.concat(pieces), line, offset: lineStart, terminated: false };
  }
}
