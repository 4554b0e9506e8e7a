// Types of ledger.mjs for the TypeScript self-test of the checker.
export interface LedgerRecord {
  /** record type: send, ack, add-error, run, returned, completed, error, fault, close-begin, ... */
  t: string;
  at: number;
  pid: number;
  /** from the file name, set by readLedger */
  role?: string;
  [field: string]: unknown;
}

export interface Ledger {
  file: string;
  write(record: { t: string; [field: string]: unknown }): LedgerRecord;
  close(): void;
}

export function openLedger(dir: string, role: string, pid?: number): Ledger;
export function readLedger(dir: string): { records: LedgerRecord[]; torn: number };
