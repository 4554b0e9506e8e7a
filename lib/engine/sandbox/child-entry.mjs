// The process (or worker thread) a sandboxed processor runs in. Plain JavaScript on purpose: Node
// starts it as it is, from lib/ (tests) and from dist/ (the package), with no compile step.
//
// The protocol (parent -> child):  init {file} | run {run, job, token, methods} | abort {run, reason}
//                                  | reply {call, ok, value | error}
//                 (child -> parent): ready | init-failed {error} | call {run, call, method, args}
//                                  | done {run, ok, json | unstorable | error} | crash {error}
// Thrown values travel as "wire" objects (see toWire); the parent keeps the same shape in wire.ts.
import { fileURLToPath } from 'node:url';
import { parentPort } from 'node:worker_threads';

/** Where messages go: the parent thread's port, or the IPC channel of a forked process. */
const channel = parentPort
  ? {
      send: (msg, done) => {
        parentPort.postMessage(msg);
        done?.();
      },
      listen: (handler) => parentPort.on('message', handler),
    }
  : {
      send: (msg, done) => {
        if (process.connected) process.send(msg, undefined, undefined, () => done?.());
        else done?.();
      },
      listen: (handler) => process.on('message', handler),
    };

let processor;
/** AbortControllers of the jobs in hand (one at a time in practice), by run id. */
const runs = new Map();
/** Job method calls waiting for the parent's reply, by call id. */
const calls = new Map();
let lastCall = 0;

// Whatever escapes the processor ends this child, after telling the parent why: the job in hand
// fails with that reason and the pool starts a fresh child for the next one.
process.on('uncaughtException', (err) => {
  channel.send({ t: 'crash', error: toWire(err) }, () => process.exit(1));
});

// A forked child whose parent went away (even killed) must not live on as an orphan.
if (!parentPort) process.on('disconnect', () => process.exit(0));

channel.listen((msg) => {
  switch (msg.t) {
    case 'init':
      void init(msg.file);
      break;
    case 'run':
      void run(msg);
      break;
    case 'abort':
      runs.get(msg.run)?.abort(fromWire(msg.reason));
      break;
    case 'reply': {
      const pending = calls.get(msg.call);
      if (!pending) break;
      calls.delete(msg.call);
      if (msg.ok) pending.resolve(msg.value);
      else pending.reject(fromWire(msg.error));
      break;
    }
  }
});

async function init(fileUrl) {
  const file = fileURLToPath(fileUrl);
  let mod;
  try {
    mod = await import(fileUrl);
  } catch (err) {
    channel.send({ t: 'init-failed', error: toWire(err), typescript: /\.[cm]?tsx?$/i.test(file) });
    return;
  }
  // ESM default export, CommonJS module.exports, or CommonJS `exports.default` (compiled TypeScript)
  const candidate = typeof mod.default === 'function' ? mod.default : mod.default?.default;
  if (typeof candidate !== 'function') {
    const found = mod.default === undefined ? 'it has no default export' : `its export is ${describe(mod.default)}`;
    const error = new TypeError(`sandboxed processor ${file} must export a function (export default or module.exports), but ${found}`);
    channel.send({ t: 'init-failed', error: toWire(error), exportError: true });
    return;
  }
  processor = candidate;
  channel.send({ t: 'ready' });
}

async function run({ run: id, job: fields, token, methods }) {
  const controller = new AbortController();
  runs.set(id, controller);
  const job = sandboxedJob(fields, id, methods);
  let reply;
  try {
    const result = await processor(job, token, controller.signal);
    try {
      // the parent stores the value as JSON anyway; sending the text keeps functions, Dates and
      // cycles from breaking the channel, and both modes give the same result
      reply = { t: 'done', run: id, ok: true, json: JSON.stringify(result === undefined ? null : result) ?? 'null' };
    } catch (err) {
      // the worker fails the job as it fails an in-process one whose value cannot be stored
      reply = { t: 'done', run: id, ok: true, unstorable: err instanceof Error ? err.message : String(err) };
    }
  } catch (thrown) {
    reply = { t: 'done', run: id, ok: false, error: toWire(thrown) };
  } finally {
    runs.delete(id);
  }
  channel.send(reply);
}

/** The job as the processor sees it: plain fields plus the methods the parent runs on its Job. */
function sandboxedJob(fields, runId, methods) {
  const job = { ...fields };
  for (const method of methods) {
    job[method] = async (...args) => {
      // a trailing undefined is an omitted argument, not a value to send
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      const value = await callParent(runId, method, args);
      if (method === 'updateProgress') job.progress = args[0];
      if (method === 'updateData') job.data = args[0];
      return value;
    };
  }
  return job;
}

function callParent(runId, method, args) {
  return new Promise((resolve, reject) => {
    lastCall += 1;
    const call = lastCall;
    calls.set(call, { resolve, reject });
    try {
      channel.send({ t: 'call', run: runId, call, method, args });
    } catch (err) {
      // arguments that cannot be copied to the parent (functions, symbols...)
      calls.delete(call);
      reject(err);
    }
  });
}

/** A thrown value in a form both sides can copy: Errors keep name, message, stack, own fields. */
function toWire(thrown, depth = 0) {
  if (isError(thrown)) {
    const props = {};
    for (const key of Object.keys(thrown)) {
      if (key === 'cause') continue;
      if (cloneable(thrown[key])) props[key] = thrown[key];
    }
    const wire = { kind: 'error', name: thrown.name, message: thrown.message, stack: thrown.stack, props };
    if (thrown.cause !== undefined && depth < 3) wire.cause = toWire(thrown.cause, depth + 1);
    return wire;
  }
  return { kind: 'value', value: cloneable(thrown) ? thrown : describe(thrown) };
}

function fromWire(wire) {
  if (!wire || wire.kind !== 'error') return wire?.value;
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack === undefined) delete error.stack;
  else error.stack = wire.stack;
  Object.assign(error, wire.props);
  if (wire.cause !== undefined) error.cause = fromWire(wire.cause);
  return error;
}

/** Errors of any realm, and error-like objects such as DOMException (an AbortError). */
function isError(value) {
  if (value instanceof Error || Object.prototype.toString.call(value) === '[object Error]') return true;
  return typeof value === 'object' && value !== null && typeof value.name === 'string' && typeof value.message === 'string';
}

function cloneable(value) {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length > 0 ? `an object with keys ${keys.slice(0, 5).join(', ')}` : 'an empty object';
  }
  return `${typeof value} ${String(value)}`;
}
