/**
 * BullMQ 5's repeatable jobs (`Queue.add(name, data, { repeat })`) shared the `repeat` zset with job
 * schedulers, under keys `<name>:<jobId>:<endDate>:<tz>:<pattern or every>`. BullMQ 6 (and Conveyor)
 * no longer run them: listing one, or taking one of their jobs, says how to migrate.
 */

export const LEGACY_REPEATABLE_JOBS_MIGRATION_URL = 'https://docs.bullmq.io/guide/migrations/migrate-from-v5-to-v6';

/**
 * Whether `key` looks like a legacy repeatable key: five or more colon-separated parts, the third
 * empty or digits (the endDate), and what follows the fourth either digits (`every`) or a cron
 * expression (it has a space). A scheduler id may look like this too: isJobScheduler tells them apart.
 */
export function hasLegacyRepeatableKeyShape(key: string): boolean {
  const parts = key.split(':');
  if (parts.length < 5) return false;
  if (!/^\d*$/.test(parts[2])) return false;
  const schedule = parts.slice(4).join(':');
  return /^\d+$/.test(schedule) || schedule.includes(' ');
}

export const isLegacyRepeatableJobKey = hasLegacyRepeatableKeyShape;

export function getLegacyRepeatableJobError(key: string): Error {
  return new Error(
    `Legacy repeatable job metadata is not supported in BullMQ v6 (key: ${JSON.stringify(key)}). ` +
      `Migrate legacy repeatable jobs to Job Schedulers before upgrading. See ${LEGACY_REPEATABLE_JOBS_MIGRATION_URL}`,
  );
}
