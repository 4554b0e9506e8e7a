import { EventEmitter } from 'node:events';
import type { RedisQueueBackend } from '../connection/backend.js';
import { checkClusterBase, isClusterConnection } from '../connection/cluster.js';
import {
  closeConnection,
  openConnection,
  redactError,
  whenReady,
  type ConnectionOptions,
  type HeldConnection,
  type RedisClient,
} from '../connection/connection.js';
import type { QueueBaseOptions } from '../connection/queue-base.js';
import { DEFAULT_PREFIX } from '../core/defaults.js';
import { ConveyorValidationError, scriptError } from '../core/errors.js';
import { parseJobKey, QUEUE_KEY, QueueKeys } from '../core/keys.js';
import { runScript } from '../core/scripts.js';
import { show } from '../core/show.js';
import { checkInteger, checkPrefix, checkQueueName } from '../core/validation.js';
import { DEFAULT_DEPENDENCY_PAGE, readDependencies } from '../job/dependencies.js';
import type { JobHost } from '../job/host.js';
import { Job } from '../job/job.js';
import { jobSchedulerOf, type JobScheduler } from '../scheduler/job-scheduler.js';
import { tracedFlows } from '../telemetry/producers.js';
import { checkTelemetry, Tracing, type Telemetry } from '../telemetry/telemetry.js';
import { checkFlowOpts, prepareFlows, type FlowJob, type FlowOpts, type PreparedNode } from './flow-nodes.js';

/** The events a FlowProducer emits (BullMQ's FlowProducerListener). */
export interface FlowProducerListener {
  error: (failedReason: Error) => void;
  'ioredis:close': () => void;
}

export interface FlowProducerOptions<ConnectionOptionsType = ConnectionOptions> extends QueueBaseOptions<ConnectionOptionsType> {
  /** Backoff type names, besides fixed/exponential/custom, that the flow's workers know. */
  customBackoffTypes?: string[];
  /** Trace adds (`addFlow`/`addBulkFlows` spans, an `addNode` span per job, carried to the workers). */
  telemetry?: Telemetry;
}

type QueuesOptions = FlowOpts['queuesOptions'] & object;

/** A job of a flow with its children (leaves have no `children`). */
export interface JobNode {
  job: Job;
  children?: JobNode[];
}

/** Which flow getFlow reads: the job at its top, and how far down. */
export interface NodeOpts {
  id: string;
  queueName: string;
  /** @default the FlowProducer's prefix */
  prefix?: string;
  /** Levels returned, the top job included. @default 10 */
  depth?: number;
  /** Children read per kind (processed, pending, failed, ignored) of each job; a hint. @default 20 */
  maxChildren?: number;
}

export const FLOW_DEFAULTS = { depth: 10, maxChildren: DEFAULT_DEPENDENCY_PAGE } as const;

/** What a flow's Job needs from "its queue": the FlowProducer's connection and that queue's keys. */
class FlowQueueHost implements JobHost {
  readonly keys: QueueKeys;

  constructor(
    readonly name: string,
    prefix: string,
    private readonly producer: FlowProducer,
  ) {
    this.keys = new QueueKeys(prefix, name);
  }

  get client(): Promise<RedisClient> {
    return this.producer.client;
  }

  /** A scheduler iteration taken by hand through a flow's job gets its next one from here. */
  get jobScheduler(): Promise<JobScheduler> {
    return jobSchedulerOf(this);
  }

  emit(): boolean {
    return false;
  }
}

/**
 * Adds trees of jobs across queues (wire-format §7.13): parents wait in `waiting-children` until
 * their children finish. A flow, or a bulk of flows, is written by one script call: all or nothing.
 */
/** Type parameters as bullmq 6.7's, for its other backends; Conveyor runs on Redis only. */
export class FlowProducer<B = RedisQueueBackend, ConnectionOptionsType = ConnectionOptions> extends EventEmitter {
  readonly opts: FlowProducerOptions;
  readonly prefix: string;
  private readonly connection: HeldConnection;
  private readonly hosts = new Map<string, FlowQueueHost>();
  /** Set once close() or disconnect() was called (as BullMQ's). */
  closing: Promise<void> | undefined;
  /** "ioredis:close" when the connection drops while the producer is open (as BullMQ's). */
  private readonly onConnectionClose = (): void => {
    if (!this.closing) this.emit('ioredis:close');
  };
  /** addFlows, inside spans when the producer has telemetry (chosen once: no tracing code otherwise). */
  private readonly insert: (flows: unknown[], bulk: boolean, queuesOptions: QueuesOptions) => Promise<JobNode[]>;

  constructor(opts: FlowProducerOptions = {}) {
    super();
    if (typeof opts !== 'object' || opts === null)
      throw new ConveyorValidationError(`FlowProducer options must be an object, got ${show(opts)}`);
    const prefix = opts.prefix ?? DEFAULT_PREFIX;
    checkPrefix(prefix);
    if (
      opts.customBackoffTypes !== undefined &&
      (!Array.isArray(opts.customBackoffTypes) || opts.customBackoffTypes.some((t) => typeof t !== 'string'))
    ) {
      throw new ConveyorValidationError(`customBackoffTypes must be an array of strings, got ${show(opts.customBackoffTypes)}`);
    }
    checkTelemetry(opts.telemetry, 'FlowProducer');
    this.opts = opts;
    this.prefix = prefix;
    // connects on first use: a producer closed unused (say, after a refused flow) opened nothing, and
    // ioredis would hold the process for 2 s after a disconnect in the middle of connecting
    this.connection = openConnection(opts.connection, { lazyConnect: true });
    if (this.connection.owned) this.connection.client.on('error', (err: Error) => this.emitError(err));
    this.connection.client.on('close', this.onConnectionClose);
    const write = (flows: unknown[], bulk: boolean, queuesOptions: QueuesOptions) =>
      this.addFlows(flows, queuesOptions, bulk ? (i) => `flows[${i}]` : () => 'flow');
    this.insert = opts.telemetry ? tracedFlows(new Tracing(opts.telemetry, ''), write) : write;
  }

  /** The connection, once it is ready. */
  get client(): Promise<RedisClient> {
    if (this.closing) return Promise.reject(new Error('FlowProducer is closed'));
    const client = this.connection.client;
    return client.status === 'ready' ? Promise.resolve(client) : whenReady(client).then(() => client);
  }

  async waitUntilReady(): Promise<RedisClient> {
    return this.client;
  }

  /** A queue-level key under this producer's prefix, as BullMQ's `toKey(queueName, type)`. */
  toKey(name: string, type: string): string {
    return new QueueKeys(this.prefix, name).key(type);
  }

  /** The class of the Job objects it returns; a subclass may return its own Job subclass (as BullMQ's). */
  protected get Job(): typeof Job {
    return Job;
  }

  /** Adds a flow; resolves with its tree of jobs once Redis has all of it. */
  async add(flow: FlowJob, opts?: FlowOpts): Promise<JobNode> {
    const queuesOptions = checkFlowOpts(opts, this.opts.customBackoffTypes ?? []);
    const [node] = await this.insert([flow], false, queuesOptions);
    return node;
  }

  /** Adds several flows in one atomic call: all of them or none. */
  async addBulk(flows: FlowJob[]): Promise<JobNode[]> {
    if (!Array.isArray(flows)) throw new ConveyorValidationError(`addBulk takes an array of flows, got ${show(flows)}`);
    if (flows.length === 0) return [];
    return this.insert(flows, true, {});
  }

  private async addFlows(flows: unknown[], queuesOptions: QueuesOptions, label: (i: number) => string): Promise<JobNode[]> {
    const ctx = { prefix: this.prefix, customBackoffTypes: this.opts.customBackoffTypes ?? [], queuesOptions };
    const { roots, nodes } = prepareFlows(flows, ctx, label);
    const first = nodes[0].payload.base;
    // prepareFlows put every queue of a tagged flow in one slot; on a cluster untagged ones fail too
    if (isClusterConnection(this.opts.connection))
      checkClusterBase(first, `FlowProducer: queue ${show(roots[0].queueName)} (prefix ${show(roots[0].prefix)})`);
    const client = await this.client;
    const reply = (await runScript(
      client,
      'addFlow',
      [first + QUEUE_KEY.meta],
      [JSON.stringify(nodes.map((n) => n.payload)), Date.now()],
    )) as (number | string)[];
    const code = Number(reply[0]);
    if (code < 0) {
      const node = nodes[Number(reply[1]) - 1];
      // bullmq's text names the command each job is added with, and the parent for -5 and -7
      const err = scriptError(code, node.id, 'addJob', undefined, node.parentKey);
      err.message += ` (${node.path}: ${show(node.name)} in queue ${show(node.queueName)}; nothing was added)`;
      throw err;
    }
    // nodes folded into an existing job by deduplication: the Job gets that job's id, as in bullmq
    for (let i = 1; i < reply.length; i += 2) nodes[Number(reply[i]) - 1].id = String(reply[i + 1]);
    return roots.map((root) => this.toJobNode(root));
  }

  private toJobNode(node: PreparedNode): JobNode {
    const job = new this.Job(this.host(node.prefix, node.queueName), node.name, node.data, node.opts, node.id);
    job.timestamp = node.timestamp;
    job.parentKey = node.parentKey;
    job.parent = node.parent;
    if (node.children.length === 0) return { job };
    return { job, children: node.children.map((child) => this.toJobNode(child)) };
  }

  private host(prefix: string, queueName: string): FlowQueueHost {
    const key = `${prefix}:${queueName}`;
    let host = this.hosts.get(key);
    if (!host) {
      host = new FlowQueueHost(queueName, prefix, this);
      this.hosts.set(key, host);
    }
    return host;
  }

  /**
   * Reads a flow from Redis, from any job down: its children of every kind (completed, pending,
   * failed, ignored), `depth` levels deep. Undefined when the job does not exist; children that
   * no longer exist are left out.
   */
  async getFlow(opts: NodeOpts): Promise<JobNode | undefined> {
    if (typeof opts !== 'object' || opts === null)
      throw new ConveyorValidationError(`getFlow takes { id, queueName, prefix?, depth?, maxChildren? }, got ${show(opts)}`);
    const { id, queueName, prefix = this.prefix, depth = FLOW_DEFAULTS.depth, maxChildren = FLOW_DEFAULTS.maxChildren } = opts;
    if (typeof id !== 'string' || id === '') throw new ConveyorValidationError(`getFlow id must be a non-empty string, got ${show(id)}`);
    checkQueueName(queueName);
    checkPrefix(prefix);
    checkInteger('depth', depth, 1);
    checkInteger('maxChildren', maxChildren, 1);
    return this.readNode(this.host(prefix, queueName), id, depth, maxChildren);
  }

  private async readNode(host: FlowQueueHost, id: string, depth: number, maxChildren: number): Promise<JobNode | undefined> {
    const job = await this.Job.fromId(host, id);
    if (!job) return undefined;
    if (depth <= 1) return { job };
    const page = { cursor: 0, count: maxChildren };
    const deps = await readDependencies(await this.client, job.key, { processed: page, unprocessed: page, failed: page, ignored: page });
    // BullMQ's order: completed, pending, failed, ignored
    const childKeys = [
      ...Object.keys(deps.processed ?? {}),
      ...(deps.unprocessed ?? []),
      ...(deps.failed ?? []),
      ...Object.keys(deps.ignored ?? {}),
    ];
    const children = await Promise.all(
      childKeys.map((childKey) => {
        const { queueKey, queueName, jobId } = parseJobKey(childKey);
        const childPrefix = queueKey.slice(0, queueKey.length - queueName.length - 1);
        return this.readNode(this.host(childPrefix, queueName), jobId, depth - 1, maxChildren);
      }),
    );
    const found = children.filter((child): child is JobNode => child !== undefined);
    return found.length > 0 ? { job, children: found } : { job };
  }

  /** Closes the connection (a client the user passed stays open). */
  close(): Promise<void> {
    this.closing ??= closeConnection(this.connection).finally(() => this.connection.client.off('close', this.onConnectionClose));
    return this.closing;
  }

  async disconnect(): Promise<void> {
    this.closing ??= Promise.resolve();
    await closeConnection(this.connection, true);
    this.connection.client.off('close', this.onConnectionClose);
  }

  /** `error` only reaches listeners that exist (an EventEmitter without one would throw). */
  private emitError(err: unknown): void {
    const error = redactError(err instanceof Error ? err : new Error(String(err)));
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
