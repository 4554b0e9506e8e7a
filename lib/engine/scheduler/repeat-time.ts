import { CronExpressionParser } from 'cron-parser';
import type { RepeatOptions, RepeatStrategy } from './repeat-options.js';

/**
 * When a scheduler's iterations fall. `every` schedules are computed in the scripts (they need the
 * stored grid); `pattern` ones here, by cron-parser or by the `settings.repeatStrategy` the user gave.
 */

/** The first match of the pattern strictly after `after` (ms), in `tz`. */
export function nextCronTime(pattern: string, tz: string | undefined, after: number): number {
  return CronExpressionParser.parse(pattern, { currentDate: new Date(after), tz })
    .next()
    .getTime();
}

function millisOf(value: Date | string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return new Date(value).getTime();
}

/**
 * BullMQ's default strategy for patterns: `immediately` → now; else the first match after
 * `millis` (or after startDate when that is later), in `tz`; undefined when past endDate.
 */
export const defaultRepeatStrategy = (millis: number, opts: RepeatOptions): number | undefined => {
  if (opts.immediately) return Date.now();
  const startDate = millisOf(opts.startDate);
  const from = startDate !== undefined && startDate > millis ? startDate : millis;
  // cron-parser reads a missing pattern as "every minute", as BullMQ's call does
  const next = CronExpressionParser.parse(opts.pattern ?? '', { currentDate: new Date(from), tz: opts.tz })
    .next()
    .getTime();
  const endDate = millisOf(opts.endDate);
  return endDate !== undefined && next > endDate ? undefined : next;
};

/**
 * The next iteration after `millis` for `every` (the next multiple of every, or the current one
 * with `immediately`) or `pattern` (defaultRepeatStrategy); what custom strategies fall back to.
 */
export const getNextMillis = (millis: number, opts: RepeatOptions): number | undefined => {
  if (opts.every) {
    const slot = Math.floor(millis / opts.every) * opts.every;
    return opts.immediately ? slot : slot + opts.every;
  }
  return defaultRepeatStrategy(millis, opts);
};

/** The strategy a queue or worker uses for patterns. */
export function repeatStrategyOf(settings: { repeatStrategy?: RepeatStrategy } | undefined): RepeatStrategy {
  return settings?.repeatStrategy ?? defaultRepeatStrategy;
}
