/** Longest piece of job data (a return value, a reason, a name) one log line shows. */
export const MAX_LOGGED_CHARS = 200;

/**
 * `text` cut to `max` characters, saying how much was left out: a job may return megabytes, and
 * one log line per job must stay readable (and cheap for whatever collects the logs).
 */
export function clip(text: string, max = MAX_LOGGED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** A value as JSON, clipped; `undefined` (no return value) prints as such. */
export function clipJson(value: unknown, max = MAX_LOGGED_CHARS): string {
  return clip(JSON.stringify(value) ?? 'undefined', max);
}
