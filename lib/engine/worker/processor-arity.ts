/**
 * Whether a processor can see its third argument, the job's AbortSignal. Node makes a controller's
 * signal on first use and that costs microseconds (an EventTarget whose prototype is swapped),
 * several times the rest of a no-op job's bookkeeping. A processor that cannot reach the signal is
 * given none: nothing it can do tells the difference. Cancelling its job still works, the
 * controller makes its signal then.
 *
 * "Cannot reach" is decided on the source, and only yes is a safe mistake: a function with fewer
 * than three declared parameters, all of them counted by `length` (no default value, no rest
 * parameter), that never names `arguments` nor calls eval. Anything else (bound functions, proxies,
 * native functions, computed method names, comments or strings among the parameters) counts as
 * taking the signal. Not considered: the legacy `fn.arguments` property of sloppy-mode functions,
 * read from another function.
 */
export function takesSignal(fn: unknown): boolean {
  if (typeof fn !== 'function') return true;
  if (fn.length >= 3) return true;
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return true;
  }
  if (/\barguments\b|\beval\b|\.\.\.|\[native code\]/.test(source)) return true;
  const open = source.indexOf('(');
  const arrow = source.indexOf('=>');
  // `job => ...` or `async job => ...`: one plain parameter (and nothing else before the arrow,
  // which a comment holding "=>" could otherwise fake)
  if (arrow >= 0 && (open < 0 || arrow < open)) return !/^(?:async\s+)?[\w$]+\s*$/.test(source.slice(0, arrow));
  if (open < 0) return true;
  const close = source.indexOf(')', open);
  if (close < 0) return true;
  // before the list: `async function name`, `name`, `*name`; a computed name may hold anything
  if (/[[\]'"`/]/.test(source.slice(0, open))) return true;
  // in it: a default value, or a comment or string that could hide one, or a nested list
  return /[=('"`/]/.test(source.slice(open + 1, close));
}
