/** @default path of QueueMetricsModule.forRoot's controller. */
export const DEFAULT_METRICS_PATH = 'metrics';

/** Module-private: the options forRoot / forRootAsync gave, the service's defaults. */
export const QUEUE_METRICS_OPTIONS = 'ConveyorQueueMetricsOptions';

export const SAME_QUEUE_ON_TWO_CONNECTIONS = (queue: string, configKeys: readonly string[]) =>
  `queue "${queue}" is registered on connections ${configKeys.map((k) => `"${k}"`).join(' and ')}: their Prometheus ` +
  `series would carry the same labels; export one connection's queues with { configKey }`;
