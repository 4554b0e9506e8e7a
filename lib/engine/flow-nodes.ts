import { randomUUID } from 'node:crypto';
import { hashTag, keySlot } from './cluster-slot.js';
import { ConveyorValidationError } from './errors.js';
import {
  checkJobId,
  encodeStoredOptions,
  serializeData,
  show,
  validateJobOptions,
  type JobsOptions,
  type ParentOptions,
} from './options.js';

/**
 * Flow trees as FlowProducer takes them: validation (every problem named with the node's path,
 * before anything reaches Redis), ids, and the flat, parents-first list the add script takes.
 */

/** A child node: its parent comes from the tree, so `opts.parent` is not allowed here. */
export interface FlowChildJob<DataType = any> {
  name: string;
  queueName: string;
  data?: DataType;
  /** @default the FlowProducer's prefix */
  prefix?: string;
  opts?: Omit<JobsOptions, 'parent'>;
  children?: FlowChildJob[];
}

/** The root of a flow; `opts.parent` attaches the whole flow to an existing job. */
export interface FlowJob<DataType = any> extends Omit<FlowChildJob<DataType>, 'opts'> {
  opts?: JobsOptions;
}

export interface FlowQueueOptions {
  /** Options every node of that queue starts from (its own opts win). */
  defaultJobOptions?: JobsOptions;
}

export interface FlowOpts {
  /** Per queue name. */
  queuesOptions?: Record<string, FlowQueueOptions>;
}

/** One node as the add script takes it (lua/addFlow.lua). */
export interface NodePayload {
  base: string;
  id: string;
  name: string;
  data: string;
  opts: string;
  timestamp: number;
  delay: number;
  priority: number;
  lifo?: true;
  parentKey?: string;
  parent?: string;
  waitChildren?: true;
  externalParent?: true;
}

/** A validated node, with what the returned Job needs. */
export interface PreparedNode {
  path: string;
  prefix: string;
  queueName: string;
  id: string;
  name: string;
  data: unknown;
  opts: JobsOptions;
  timestamp: number;
  parentKey?: string;
  parent?: { id: string; queueKey: string; fpof?: boolean; cpof?: boolean; idof?: boolean; rdof?: boolean };
  children: PreparedNode[];
  payload: NodePayload;
}

export interface FlowContext {
  prefix: string;
  customBackoffTypes: readonly string[];
  queuesOptions: Record<string, FlowQueueOptions>;
}

const NODE_FIELDS = ['name', 'queueName', 'data', 'prefix', 'opts', 'children'];
/** Options that make no sense on a flow node (each has its own mechanism). */
const NOT_ON_FLOW_NODES: Record<string, string> = {
  deduplication: 'deduplication is not supported on flow nodes',
  debounce: 'debounce is not supported on flow nodes',
  repeat: 'repeat is not supported on flow nodes (use a job scheduler)',
};

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

/** Runs a shared check and puts the node's path in front of its message. */
function at<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ConveyorValidationError) fail(`${where}: ${err.message}`);
    throw err;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks FlowOpts and the default options it carries. */
export function checkFlowOpts(opts: unknown, customBackoffTypes: readonly string[]): Record<string, FlowQueueOptions> {
  if (opts === undefined) return {};
  if (!isPlainObject(opts)) fail(`flow options must be an object { queuesOptions? }, got ${show(opts)}`);
  for (const key of Object.keys(opts)) if (key !== 'queuesOptions') fail(`flow options.${key} is not a known option (queuesOptions)`);
  const queues = opts.queuesOptions;
  if (queues === undefined) return {};
  if (!isPlainObject(queues)) fail(`flow options.queuesOptions must be an object keyed by queue name, got ${show(queues)}`);
  for (const [queue, entry] of Object.entries(queues)) {
    const where = `flow options.queuesOptions[${show(queue)}]`;
    if (!isPlainObject(entry)) fail(`${where} must be an object { defaultJobOptions? }, got ${show(entry)}`);
    for (const key of Object.keys(entry)) if (key !== 'defaultJobOptions') fail(`${where}.${key} is not a known option (defaultJobOptions)`);
    at(`${where}.defaultJobOptions`, () => validateJobOptions(entry.defaultJobOptions, customBackoffTypes));
  }
  return queues as Record<string, FlowQueueOptions>;
}

/**
 * Validates flows and lays them out: ids (UUIDs where no jobId is given), parent links, stored
 * options; throws before anything is written if any node is bad.
 */
export function prepareFlows(flows: unknown[], ctx: FlowContext, label: (i: number) => string): { roots: PreparedNode[]; payloads: NodePayload[] } {
  const seenIds = new Map<string, string>();
  const roots = flows.map((flow, i) => prepareNode(flow, label(i), undefined, ctx, new Set(), seenIds));
  const payloads: NodePayload[] = [];
  for (const root of roots) {
    // breadth first: every parent is stored before its children, level by level (as BullMQ)
    const queue: PreparedNode[] = [root];
    for (let i = 0; i < queue.length; i++) {
      payloads.push(queue[i].payload);
      queue.push(...queue[i].children);
    }
  }
  checkHashSlots(roots);
  return { roots, payloads };
}

function prepareNode(
  node: unknown,
  path: string,
  parentNode: PreparedNode | undefined,
  ctx: FlowContext,
  ancestors: Set<unknown>,
  seenIds: Map<string, string>,
): PreparedNode {
  if (!isPlainObject(node)) fail(`${path} must be an object { name, queueName, data?, opts?, children?, prefix? }, got ${show(node)}`);
  if (ancestors.has(node)) fail(`${path} is one of its own ancestors (the flow has a cycle)`);
  for (const key of Object.keys(node)) {
    if (!NODE_FIELDS.includes(key)) fail(`${path}.${key} is not a flow node field (${NODE_FIELDS.join(', ')})`);
  }
  const { name, queueName, prefix = ctx.prefix, opts, children, data } = node;
  if (typeof name !== 'string') fail(`${path}.name must be a string, got ${show(name)}`);
  if (typeof queueName !== 'string' || queueName === '' || queueName.includes(':')) {
    fail(`${path}.queueName must be a non-empty string without ":", got ${show(queueName)}`);
  }
  if (typeof prefix !== 'string' || prefix === '') fail(`${path}.prefix must be a non-empty string, got ${show(prefix)}`);
  const where = `${path} (${show(name)} in queue ${show(queueName)})`;

  if (opts !== undefined && !isPlainObject(opts)) fail(`${where}: opts must be an object, got ${show(opts)}`);
  for (const [option, why] of Object.entries(NOT_ON_FLOW_NODES)) {
    if (opts?.[option] !== undefined) fail(`${where}: opts.${option}: ${why}, got ${show(opts[option])}`);
  }
  if (parentNode && opts?.parent !== undefined) {
    fail(`${where}: opts.parent is set by the flow for children; remove it (got ${show(opts.parent)})`);
  }
  at(where, () => validateJobOptions(opts, ctx.customBackoffTypes));
  if (children !== undefined && !Array.isArray(children)) {
    fail(`${where}: children must be an array of flow nodes, got ${show(children)}`);
  }

  const merged: JobsOptions = { ...(ctx.queuesOptions[queueName]?.defaultJobOptions ?? {}), ...(opts ?? {}) };
  if (merged.jobId !== undefined) at(where, () => checkJobId(merged.jobId));
  const id = merged.jobId ?? randomUUID();
  const base = `${prefix}:${queueName}:`;
  const earlier = seenIds.get(base + id);
  if (earlier) fail(`${where}: jobId ${show(id)} is used by ${earlier} too; each node of a flow needs its own job`);
  seenIds.set(base + id, path);

  let parentRef: ParentOptions | undefined = merged.parent;
  if (parentNode) {
    parentRef = { id: parentNode.id, queue: `${parentNode.prefix}:${parentNode.queueName}` };
    merged.parent = parentRef;
  }
  const json = at(where, () => serializeData(data, name, merged.sizeLimit));
  const timestamp = merged.timestamp ?? Date.now();
  const payload: NodePayload = {
    base,
    id,
    name,
    data: json,
    opts: encodeStoredOptions(merged),
    timestamp,
    delay: merged.delay ?? 0,
    priority: merged.priority ?? 0,
  };
  if (merged.lifo) payload.lifo = true;
  const prepared: PreparedNode = { path, prefix, queueName, id, name, data, opts: merged, timestamp, children: [], payload };
  if (parentRef) {
    const parent: NonNullable<PreparedNode['parent']> = { id: parentRef.id, queueKey: parentRef.queue };
    if (merged.failParentOnFailure) parent.fpof = true;
    if (merged.continueParentOnFailure) parent.cpof = true;
    if (merged.ignoreDependencyOnFailure) parent.idof = true;
    if (merged.removeDependencyOnFailure) parent.rdof = true;
    prepared.parent = parent;
    prepared.parentKey = `${parentRef.queue}:${parentRef.id}`;
    payload.parentKey = prepared.parentKey;
    payload.parent = JSON.stringify(parent);
    if (!parentNode) payload.externalParent = true;
  }

  const list = (children as unknown[] | undefined) ?? [];
  const lineage = new Set(ancestors).add(node);
  prepared.children = list.map((child, i) => prepareNode(child, `${path}.children[${i}]`, prepared, ctx, lineage, seenIds));
  if (prepared.children.length > 0) payload.waitChildren = true;
  return prepared;
}

/**
 * A script may only touch keys of one cluster slot. Once hash tags are in play (in a prefix or a
 * queue name), every queue of the call, and an existing parent's queue, must share one slot.
 */
function checkHashSlots(roots: PreparedNode[]): void {
  const queues = new Map<string, string>();
  const visit = (node: PreparedNode) => {
    queues.set(`${node.prefix}:${node.queueName}:`, `queue ${show(node.queueName)} (prefix ${show(node.prefix)})`);
    if (node.payload.externalParent) queues.set(`${node.parent!.queueKey}:`, `parent queue ${show(node.parent!.queueKey)}`);
    node.children.forEach(visit);
  };
  roots.forEach(visit);
  const bases = [...queues.keys()];
  if (!bases.some((base) => hashTag(base) !== undefined)) return;
  const untagged = bases.find((base) => hashTag(base) === undefined);
  if (untagged) {
    const tagged = bases.find((base) => hashTag(base) !== undefined)!;
    fail(
      `flow spans hash slots: ${queues.get(tagged)} has the hash tag {${hashTag(tagged)}} but ${queues.get(untagged)} has none, ` +
        'so its keys spread over the cluster; give every queue of the flow the same hash tag (e.g. a prefix like "{flows}")',
    );
  }
  const first = bases[0];
  const other = bases.find((base) => keySlot(base) !== keySlot(first));
  if (other) {
    fail(
      `flow spans hash slots: ${queues.get(first)} is in slot ${keySlot(first)} (tag {${hashTag(first)}}) but ` +
        `${queues.get(other)} is in slot ${keySlot(other)} (tag {${hashTag(other)}}); ` +
        'give every queue of the flow the same hash tag (e.g. a prefix like "{flows}")',
    );
  }
}
