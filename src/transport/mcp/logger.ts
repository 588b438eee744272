// The logger the MCP transport writes to. The caller passes its own (pino in `nautilus serve`);
// without one, JSON lines go to stderr: under stdio, stdout belongs to the protocol.

export interface McpLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

/** One JSON object per line on stderr (never stdout). */
export function stderrLogger(stream: NodeJS.WritableStream = process.stderr): McpLogger {
  const write = (level: string) => (o: object, msg?: string) => {
    const line = {
      level,
      time: new Date().toISOString(),
      ...o,
      ...(msg === undefined ? {} : { msg }),
    };
    stream.write(`${JSON.stringify(line)}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/** The safe description of a thrown value: its message, never a stack or a driver's detail. */
export function describeError(x: unknown): string {
  return x instanceof Error ? `${x.name}: ${x.message}` : 'non-error thrown';
}
