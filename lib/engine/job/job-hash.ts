/** The job hash as Redis stores it (wire-format §2). */
export type JobHash = Record<string, string>;

/** A hash from HGETALL's flat reply (as scripts return it). */
export function flatToHash(flat: string[]): JobHash {
  const hash: JobHash = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]] = flat[i + 1];
  return hash;
}

/** A stored JSON field, or `fallback` when it is missing or no JSON (other clients may write text). */
export function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * parseJson whose fallback is made only when needed (`fallback()`): a job taken builds none of
 * the `{}` and `[]` it would otherwise throw away.
 */
export function parseJsonElse<T>(text: string | undefined, fallback: () => T): T {
  if (text === undefined) return fallback();
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback();
  }
}

export const newObject = (): any => ({});
export const newArray = (): any[] => [];

/** A stored number field, or `fallback` when it is missing or no number. */
export function toInt(text: string | undefined, fallback = 0): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isFinite(n) ? n : fallback;
}
