// The body of the SQLite worker thread, as CommonJS source run with `new Worker(src, {eval: true})`.
// It is a string rather than a module file because Node 20 workers do not inherit the TypeScript
// loader used by the tests (`--import tsx`), and an eval'd script runs the same from src/ and dist/.
//
// Protocol. workerData: { modulePath, file, memory, seedSql, table, busyTimeoutMs }.
// Out: {type:'ready', columns} | {type:'open-failed', error} first, then one
// {type:'result', id, rows} | {type:'result', id, error} per query, in order.
// In: {id, sql, params, requireColumns} (run a SELECT) or {id, ping: true}.
// error = {kind, code, message}: kind is what the main thread classifies; message is the raw
// SQLite text, kept only as the failure's cause.

export const SQLITE_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);

function classify(e) {
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = String(e && e.message);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_')) return 'busy';
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_IOERR')) return 'open';
  if (/no such column/i.test(msg)) return 'no_column';
  if (/no such table/i.test(msg)) return 'no_table';
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) return 'readonly';
  return 'other';
}
const err = (e) => ({ kind: classify(e), code: typeof e.code === 'string' ? e.code : '', message: String(e && e.message) });

let db;
const table = workerData.table; // [name] or [schema, name]
function columns() {
  const name = table[table.length - 1];
  const schema = table.length === 2 ? table[0] : 'main';
  return db.prepare('SELECT name FROM pragma_table_info(?, ?)').pluck().all(name, schema);
}

try {
  if (workerData.memory) {
    db = new Database(':memory:');
    db.exec(workerData.seedSql);
  } else {
    db = new Database(workerData.file, { readonly: true, fileMustExist: true, timeout: workerData.busyTimeoutMs });
  }
  db.pragma('query_only = ON');
  parentPort.postMessage({ type: 'ready', columns: columns() });
} catch (e) {
  parentPort.postMessage({ type: 'open-failed', error: err(e) });
  process.exit(0);
}

parentPort.on('message', (m) => {
  try {
    if (m.ping) {
      db.prepare('SELECT 1').get();
      parentPort.postMessage({ type: 'result', id: m.id, rows: [] });
      return;
    }
    if (m.requireColumns.length > 0) {
      // SQLite resolves column names case-insensitively; so does this check.
      const have = new Set(columns().map((c) => c.toLowerCase()));
      const missing = m.requireColumns.find((c) => !have.has(c.toLowerCase()));
      if (missing !== undefined) {
        parentPort.postMessage({ type: 'result', id: m.id, error: { kind: 'unknown_field', code: '', message: missing } });
        return;
      }
    }
    const rows = db.prepare(m.sql).all(...m.params);
    parentPort.postMessage({ type: 'result', id: m.id, rows });
  } catch (e) {
    parentPort.postMessage({ type: 'result', id: m.id, error: err(e) });
  }
});
`;
