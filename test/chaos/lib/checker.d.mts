// Types of checker.mjs for the TypeScript self-test.
import type { Redis } from 'ioredis';
import type { LedgerRecord } from './ledger.mjs';

export interface Finding {
  id: string;
  why: string;
}

export interface CheckResult {
  acknowledged: number;
  completed: number;
  failed: number;
  finished: number;
  lost: number;
  unexpected: number;
  duplicated: number;
  stuck: number;
  halfWritten: number;
  finishedTwice: number;
  indeterminate: number;
  redelivered: number;
  stalled: number;
  details: {
    lost: Finding[];
    unexpected: Finding[];
    duplicated: { id: string; pids: number[] }[];
    stuck: string[];
    halfWritten: Finding[];
    finishedTwice: { id: string; pids: number[] }[];
  };
}

export function check(input: { client: Redis; queue: string; prefix?: string; records: LedgerRecord[] }): Promise<CheckResult>;
