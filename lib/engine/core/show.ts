/**
 * How error messages print a value a caller gave: strings quoted, numbers as they are (NaN and
 * Infinity too), functions as "a function", long JSON cut short.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value); // JSON would print NaN and Infinity as null
  if (typeof value === 'function') return 'a function';
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
