import { randomUUID } from 'node:crypto';
import { hashTag, keySlot } from '../connection/cluster-slot.js';
import { ConveyorValidationError } from '../core/errors.js';
import { checkDeduplication, checkJobId, serializeData, validateJobOptions } from '../core/job-options-validation.js';
import type { JobsOptions, ParentOptions } from '../core/job-options.js';
import { show } from '../core/show.js';
import { jobPayload, linkParent, type JobPayload, type ParentReference } from '../job/payload.js';

/**
 * Flow trees as FlowProducer takes them: validation (every problem named with the node's path,
 * before anything reaches Redis), ids, and the flat, parents-first list the add script takes.
 */

/** A child node: its parent comes from the tree (an `opts.parent` here is overridden, as in BullMQ). */
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

/** Per queue: BullMQ takes a queue's options here; a flow uses `defaultJobOptions`, the rest is ignored. */
export interface FlowQueueOptions {
  /** Options every node of that queue starts from (its own opts win). */
  defaultJobOptions?: JobsOptions;
  [option: string]: unknown;
}

export interface FlowOpts {
  /** Per queue name. */
  queuesOptions?: FlowQueuesOpts;
}

// BullMQ's names for the shapes above (its flow-job.d.ts), for code that imports them.
export interface FlowJobBase<T> {
  name: string;
  queueName: string;
  data?: any;
  prefix?: string;
  opts?: T;
}
/** A child without children of its own. */
export type FlowNestedLeafJob = FlowChildJob & { children?: never };
/** A child with children. */
export type FlowParentJob = FlowChildJob & { children: FlowChildJob[] };
export type FlowJobNode = FlowChildJob;
export type FlowRootLeafJob = FlowJob & { children?: never };
export type FlowRootParentJob = FlowJob & { children: FlowChildJob[] };
export type FlowQueuesOpts = Record<string, FlowQueueOptions>;

/** One node as the add script takes it (lua/addFlow.lua): a job's payload and where the node stands. */
export interface NodePayload extends JobPayload {
  base: string;
  id: string;
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
  parent?: ParentReference;
  children: PreparedNode[];
  payload: NodePayload;
}

export interface FlowContext {
  prefix: string;
  customBackoffTypes: readonly string[];
  queuesOptions: Record<string, FlowQueueOptions>;
}

/** BullMQ's text: a node that waits for children cannot be the one a later add is folded into. */
const DEDUP_WITH_CHILDREN = 'Deduplication options cannot be used on flow nodes with children';

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

/** Runs a shared check and names the node after its message (which may be BullMQ's text, so it leads). */
function at<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ConveyorValidationError) fail(`${err.message}, at ${where}`);
    throw err;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks FlowOpts and the default options it carries. Other keys, and queue options other than
 * defaultJobOptions (BullMQ's type takes a queue's whole options there), are accepted and unused.
 */
export function checkFlowOpts(opts: unknown, customBackoffTypes: readonly string[]): Record<string, FlowQueueOptions> {
  if (opts === undefined) return {};
  if (!isPlainObject(opts)) fail(`flow options must be an object { queuesOptions? }, got ${show(opts)}`);
  const queues = opts.queuesOptions;
  if (queues === undefined) return {};
  if (!isPlainObject(queues)) fail(`flow options.queuesOptions must be an object keyed by queue name, got ${show(queues)}`);
  for (const [queue, entry] of Object.entries(queues)) {
    const where = `flow options.queuesOptions[${show(queue)}]`;
    if (!isPlainObject(entry)) fail(`${where} must be an object { defaultJobOptions? }, got ${show(entry)}`);
    at(`${where}.defaultJobOptions`, () => validateJobOptions(entry.defaultJobOptions, customBackoffTypes));
  }
  return queues as Record<string, FlowQueueOptions>;
}

/**
 * Validates flows and lays them out: ids (UUIDs where no jobId is given), parent links, stored
 * options, and every node in the order the add script takes them (`nodes`, each with its
 * payload); throws before anything is written if any node is bad.
 */
export function prepareFlows(
  flows: unknown[],
  ctx: FlowContext,
  label: (i: number) => string,
): { roots: PreparedNode[]; nodes: PreparedNode[] } {
  const roots = flows.map((flow, i) => prepareNode(flow, label(i), undefined, ctx, new Set(), new Map()));
  const nodes: PreparedNode[] = [];
  for (const root of roots) {
    // breadth first: every parent is stored before its children, level by level (as BullMQ)
    const queue: PreparedNode[] = [root];
    for (let i = 0; i < queue.length; i++) {
      nodes.push(queue[i]);
      queue.push(...queue[i].children);
    }
  }
  checkHashSlots(roots);
  return { roots, nodes };
}

function prepareNode(
  node: unknown,
  path: string,
  parentNode: PreparedNode | undefined,
  ctx: FlowContext,
  ancestors: Set<unknown>,
  ancestorIds: Map<string, string>,
): PreparedNode {
  if (!isPlainObject(node)) fail(`${path} must be an object { name, queueName, data?, opts?, children?, prefix? }, got ${show(node)}`);
  if (ancestors.has(node)) fail(`${path} is one of its own ancestors (the flow has a cycle)`);
  const { name, queueName, prefix = ctx.prefix, opts, children, data } = node;
  if (typeof name !== 'string') fail(`${path}.name must be a string, got ${show(name)}`);
  if (typeof queueName !== 'string' || queueName === '' || queueName.includes(':')) {
    fail(`${path}.queueName must be a non-empty string without ":", got ${show(queueName)}`);
  }
  if (typeof prefix !== 'string' || prefix === '') fail(`${path}.prefix must be a non-empty string, got ${show(prefix)}`);
  const where = `${path} (${show(name)} in queue ${show(queueName)})`;

  if (opts !== undefined && !isPlainObject(opts)) fail(`${where}: opts must be an object, got ${show(opts)}`);
  if (children !== undefined && !Array.isArray(children)) {
    fail(`${where}: children must be an array of flow nodes, got ${show(children)}`);
  }
  const list = (children as unknown[] | undefined) ?? [];
  if (opts?.deduplication !== undefined && list.length > 0) fail(`${DEDUP_WITH_CHILDREN}, at ${where}`);
  // a child's parent is the node above it: its own opts.parent is overridden, as in BullMQ
  const own = parentNode && opts?.parent !== undefined ? { ...opts, parent: undefined } : opts;
  at(where, () => validateJobOptions(own, ctx.customBackoffTypes));

  const merged: JobsOptions = { ...(ctx.queuesOptions[queueName]?.defaultJobOptions ?? {}), ...(own ?? {}) };
  if (merged.jobId !== undefined) at(where, () => checkJobId(merged.jobId));
  const id = merged.jobId ?? randomUUID();
  const base = `${prefix}:${queueName}:`;
  // a node may repeat a job of the flow (it is then attached as it stands, as BullMQ does), but not
  // one above it: that job would wait for itself
  const above = ancestorIds.get(base + id);
  if (above) fail(`${where}: jobId ${show(id)} is the job of ${above}, above it in the flow, which would wait for itself`);

  let parentRef: ParentOptions | undefined = merged.parent;
  if (parentNode) {
    parentRef = { id: parentNode.id, queue: `${parentNode.prefix}:${parentNode.queueName}` };
    merged.parent = parentRef;
  }
  at(where, () => checkDeduplication(merged));
  const json = at(where, () => serializeData(data, name, merged.sizeLimit));
  // a timestamp of 0 stays 0 here, where the add path (add-jobs.ts) takes it for none
  const timestamp = merged.timestamp ?? Date.now();
  const payload: NodePayload = { ...jobPayload(name, json, merged, merged, timestamp), base, id };
  const prepared: PreparedNode = { path, prefix, queueName, id, name, data, opts: merged, timestamp, children: [], payload };
  if (parentRef) {
    prepared.parent = linkParent(payload, parentRef, merged);
    prepared.parentKey = payload.parentKey;
    if (!parentNode) payload.externalParent = true;
  }

  const lineage = new Set(ancestors).add(node);
  const lineageIds = new Map(ancestorIds).set(base + id, path);
  prepared.children = list.map((child, i) => prepareNode(child, `${path}.children[${i}]`, prepared, ctx, lineage, lineageIds));
  if (prepared.children.length > 0) {
    // deduplication from the queue's defaultJobOptions, on a node with children
    if (merged.deduplication !== undefined) fail(`${DEDUP_WITH_CHILDREN}, at ${where} (from the queue's defaultJobOptions)`);
    payload.waitChildren = true;
  }
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
