// @ts-check
// Every case, in the order they run and are reported.
import { addBulk, addInFlight, addOneAtATime } from './add.mjs';
import { deepConcurrency10, deepConcurrency100, deepPrioritized100 } from './deep.mjs';
import { memoryPerWaitingJobs } from './memory.mjs';
import { pickupLatency } from './pickup.mjs';
import { processConcurrency1, processConcurrency10, processConcurrency100 } from './process.mjs';
import { steadyLoad } from './steady.mjs';

/** @type {import('./case.mjs').BenchCase[]} */
export const CASES = [
  addOneAtATime,
  addInFlight,
  addBulk,
  processConcurrency1,
  processConcurrency10,
  processConcurrency100,
  deepConcurrency10,
  deepConcurrency100,
  deepPrioritized100,
  steadyLoad,
  pickupLatency,
  memoryPerWaitingJobs,
];
