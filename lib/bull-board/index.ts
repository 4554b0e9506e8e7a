// `nestjs-conveyor/bull-board`: bull-board's adapter for Conveyor queues. Loaded only through this
// subpath, so the package root and `nestjs-conveyor/engine` never need @bull-board/api (an
// optional peer). `BullMQAdapter` is the same class under the name bull-board's own adapter has:
// switching a board over is changing the import.
export { ConveyorAdapter, ConveyorAdapter as BullMQAdapter } from './conveyor-adapter.js';
export type { BoardQueue, ConveyorAdapterOptions } from './conveyor-adapter.js';
export { BoardRequestError } from './board-errors.js';
export type { SchedulerView } from './job-scheduler-view.js';
