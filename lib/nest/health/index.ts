// 'nestjs-conveyor/health': needs @nestjs/terminus (an optional peer), so the package root never imports it.
export { QueueHealthIndicator } from './queue-health.indicator.js';
export { QueueHealthModule } from './queue-health.module.js';
export type { QueueHealthCheckOptions, QueueHealthDetails, QueueThresholds } from './queue-health-options.interface.js';
