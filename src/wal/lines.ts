// Reads a file as LF-terminated lines in bounded chunks, so a segment of any size (or a garbled
// one without newlines) never has to fit in memory at once.
import { MAX_LINE_BYTES } from './format.ts';
import type { WalFileHandle } from './fs.ts';

export interface RawLine {
  /** Byte offset of the line's first byte in the file. */
  readonly offset: number;
  /** Bytes, without the LF. */
  readonly length: number;
  /** The bytes without the LF, or null when the line is longer than the limit. */
  readonly bytes: Buffer | null;
  /** False for a last line that has no LF (an unfinished write). */
  readonly terminated: boolean;
}

const CHUNK_BYTES = 1024 * 1024;

/** Lines of `file` between byte offsets `start` and `end`. */
export async function* readLines(
  file: WalFileHandle,
  start: number,
  end: number,
  maxLine = MAX_LINE_BYTES,
): AsyncGenerator<RawLine> {
  for await (const lines of readLineBatches(file, start, end, maxLine)) yield* lines;
}

/**
 * readLines a chunk at a time: the lines each read completed (never an empty batch). Scanning
 * 100,000 lines then costs a few hundred promises, not one per line.
 */
export async function* readLineBatches(
  file: WalFileHandle,
  start: number,
  end: number,
  maxLine = MAX_LINE_BYTES,
): AsyncGenerator<RawLine[]> {
  let pos = start;
  let parts: Buffer[] = [];
  let partLen = 0;
  let overlong = false;
  let lineStart = start;
  const take = (): Buffer | null => {
    if (overlong) return null;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, partLen);
  };
  while (pos < end) {
    const want = Math.min(CHUNK_BYTES, end - pos);
    const chunk = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const n = await file.read(chunk, got, want - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    if (got === 0) break; // the file is shorter than it was said to be
    const buf = got < want ? chunk.subarray(0, got) : chunk;
    const lines: RawLine[] = [];
    let i = 0;
    while (i < got) {
      const nl = buf.indexOf(0x0a, i);
      const stop = nl === -1 ? got : nl;
      const pieceLen = stop - i;
      if (!overlong) {
        if (partLen + pieceLen > maxLine) {
          overlong = true;
          parts = [];
        } else if (pieceLen > 0) {
          parts.push(buf.subarray(i, stop));
        }
      }
      partLen += pieceLen;
      if (stop === got) break;
      lines.push({ offset: lineStart, length: partLen, bytes: take(), terminated: true });
      lineStart = pos + stop + 1;
      parts = [];
      partLen = 0;
      overlong = false;
      i = stop + 1;
    }
    pos += got;
    if (lines.length > 0) yield lines;
  }
  if (partLen > 0) {
    yield [{ offset: lineStart, length: partLen, bytes: take(), terminated: false }];
  }
}
