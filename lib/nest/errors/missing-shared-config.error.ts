import { MISSING_SHARED_CONFIG } from '../queue.messages.js';
import { getSharedConfigToken } from '../queue.tokens.js';
import { ConnectionConfigError } from './connection-config.error.js';

/**
 * A queue, flow producer or processor names a configKey that no `forRoot` opened
 * (@nestjs/bull-shared's name and text, with Conveyor's hint after it).
 */
export class MissingBullSharedConfigurationError extends ConnectionConfigError {
  constructor(
    configKey: string,
    /** What names the configKey, e.g. `Queue(emails)`. */
    readonly owner: string,
  ) {
    super(configKey, 'missing');
    this.message = MISSING_SHARED_CONFIG(getSharedConfigToken(configKey), owner, configKey);
    this.name = 'MissingBullSharedConfigurationError';
  }
}
