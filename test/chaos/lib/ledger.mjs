// The ledger: each process appends what it saw to its own JSON-lines file in one directory. Every
// record is one write(2) on an O_APPEND descriptor, so a process killed with -9 leaves whole lines
// behind (the page cache keeps what the write put there; the machine is not what we crash).
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Opens `<dir>/<role>-<pid>.jsonl`. `write(record)` stamps `pid` and, unless given, `at` (ms), and
 * returns the record as written.
 * @param {string} dir
 * @param {string} role
 */
export function openLedger(dir, role, pid = process.pid) {
  const file = path.join(dir, `${role}-${pid}.jsonl`);
  const fd = openSync(file, 'a');
  return {
    file,
    write(record) {
      const full = { at: Date.now(), ...record, pid };
      writeSync(fd, `${JSON.stringify(full)}\n`);
      return full;
    },
    close() {
      closeSync(fd);
    },
  };
}

/**
 * Every record of every file in `dir`, each with `role` (from its file name). A last line cut short
 * is counted in `torn`, not parsed.
 * @param {string} dir
 */
export function readLedger(dir) {
  const records = [];
  let torn = 0;
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    const role = name.replace(/-\d+\.jsonl$/, '');
    const lines = readFileSync(path.join(dir, name), 'utf8').split('\n');
    for (const line of lines) {
      if (!line) continue;
      try {
        records.push({ role, ...JSON.parse(line) });
      } catch {
        torn += 1;
      }
    }
  }
  return { records, torn };
}
