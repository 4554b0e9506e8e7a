import { ConveyorValidationError } from '../../engine/index.js';
import { show } from '../../engine/internal.js';
import type { QueueMetricsModuleOptions, QueueMetricsOptions } from './queue-metrics-options.interface.js';

/** A Prometheus label name; `__` names are reserved for Prometheus itself. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** The labels exportPrometheusMetrics gives its series itself. */
const OWN_LABELS = ['queue', 'state'];

/**
 * Checks QueueMetricsModule's options before anything is served: a label Prometheus would refuse
 * fails the whole scrape, so it is refused at boot instead, naming the option and the value.
 */
export function checkMetricsOptions<T extends QueueMetricsModuleOptions>(options: T, where: string): T {
  if (typeof options !== 'object' || options === null) {
    throw new ConveyorValidationError(`${where}: takes { path?, globalVariables?, configKey? }, got ${show(options)}`);
  }
  const { path, configKey, globalVariables } = options;
  if (path !== undefined && typeof path !== 'string')
    throw new ConveyorValidationError(`${where}: path must be a string, got ${show(path)}`);
  if (configKey !== undefined && (typeof configKey !== 'string' || configKey === '')) {
    throw new ConveyorValidationError(`${where}: configKey must be a non-empty string, got ${show(configKey)}`);
  }
  checkLabels(globalVariables, where);
  return options;
}

function checkLabels(globalVariables: QueueMetricsOptions['globalVariables'], where: string): void {
  if (globalVariables === undefined) return;
  if (typeof globalVariables !== 'object' || globalVariables === null || Array.isArray(globalVariables)) {
    throw new ConveyorValidationError(`${where}: globalVariables must be an object of label names to values, got ${show(globalVariables)}`);
  }
  for (const [name, value] of Object.entries(globalVariables)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new ConveyorValidationError(
        `${where}: globalVariables has "${name}", which is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, no leading __)`,
      );
    }
    if (OWN_LABELS.includes(name)) {
      throw new ConveyorValidationError(`${where}: globalVariables has "${name}", a label every queue series has already`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConveyorValidationError(`${where}: globalVariables.${name} must be a string, got ${show(value)}`);
    }
  }
}
