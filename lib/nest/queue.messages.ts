// Every message the Nest integration writes, as functions of what it names.

const where = (configKey: string | undefined) => (configKey ? ` on connection "${configKey}"` : '');
const list = (names: readonly string[]) => (names.length ? names.map((n) => `"${n}"`).join(', ') : 'none');

export const QUEUE_NOT_REGISTERED = (owner: string, queue: string, configKey?: string) =>
  `${owner} uses queue "${queue}"${where(configKey)}, which is not registered: ` +
  `add QueueModule.registerQueue({ name: '${queue}'${configKey ? `, configKey: '${configKey}'` : ''} }) to a module's imports`;

export const AMBIGUOUS_QUEUE = (owner: string, queue: string, configKeys: readonly string[]) =>
  `${owner} uses queue "${queue}", which is registered on several connections (${list(configKeys)}): ` +
  `name one with { name: '${queue}', configKey }`;

export const MISSING_SHARED_CONFIG = (token: string, owner: string, configKey: string) =>
  `Configuration "${token}" referenced from the "${owner}" options does not exist: ` +
  `add BullModule.forRoot('${configKey}', { connection }) or QueueModule.forRoot({ configKey: '${configKey}', connection }) ` +
  `to the app's imports`;

export const FACTORY_EXTRA_OPTIONS_IGNORED = (configKey: string) =>
  `forRootAsync (connection "${configKey}"): extraOptions returned by the factory are ignored, as @nestjs/bullmq ` +
  `ignores them; give them beside useFactory / useClass / useExisting`;

export const CONNECTION_NOT_OPEN = (configKey: string) =>
  `No connection "${configKey}": add QueueModule.forRoot({ configKey: '${configKey}', connection }) (or forRootAsync) to the app's imports`;

export const DUPLICATE_CONNECTION = (configKey: string) =>
  `QueueModule.forRoot was called twice for connection "${configKey}": give the second one another configKey`;

export const DUPLICATE_HANDLER = (owner: string, jobName: string, methods: readonly string[]) =>
  `${owner} handles job name "${jobName}" twice (${methods.join(' and ')}): each name may have one @Process handler`;

export const DUPLICATE_CATCH_ALL = (owner: string, methods: readonly string[]) =>
  `${owner} has two catch-all handlers (${methods.join(' and ')}): keep one @Process() or one WorkerHost.process`;

export const INVALID_PROCESSOR_CLASS = (owner: string) =>
  `Processor class ("${owner}") should inherit from the abstract "WorkerHost" class. ${owner} is a @Processor without ` +
  `handlers: extend WorkerHost and implement process(job, token, signal), or add @Process('job-name') methods`;

export const PROCESSOR_NOT_PROVIDER = (owner: string, registeredAs: string) =>
  `${owner} is a @Processor but is registered as ${registeredAs}: list it in a module's providers`;

export const LISTENER_NOT_PROVIDER = (owner: string, registeredAs: string) =>
  `${owner} is a @QueueEventsListener but is registered as ${registeredAs}: list it in a module's providers`;

export const DUPLICATE_PROCESSOR = (queue: string, configKey: string, owners: readonly string[]) =>
  `Queue "${queue}"${where(configKey)} has several processors (${owners.join(', ')}): ` +
  `one @Processor per queue; route job names with @Process('name') inside it`;

export const UNKNOWN_WORKER = (queue: string, configKey: string | undefined, known: readonly string[]) =>
  `No worker for queue "${queue}"${where(configKey)} (workers: ${list(known)})`;

export const AMBIGUOUS_WORKER = (queue: string, known: readonly string[]) =>
  `Queue "${queue}" has several workers (workers: ${list(known)}): name the connection with the configKey, ` +
  `or see them all with list()`;

// @nestjs/bullmq's text first (callers may look for it), then what Conveyor knows more
export const WORKER_NOT_READY = (owner: string) =>
  `"Worker" has not yet been initialized. Make sure to interact with worker instances after the "onModuleInit" lifecycle ` +
  `hook is triggered for example, in the "onApplicationBootstrap" hook, or if "manualRegistration" is set to true make ` +
  `sure to call "BullRegistrar.register()". The worker of ${owner} does not exist yet: it is created in onModuleInit, ` +
  `so use it from onApplicationBootstrap on (in a producer-only app, forRoot({ workers: false }), there is none)`;

export const QUEUE_EVENTS_NOT_READY = (owner: string) =>
  `"QueueEvents" class has not yet been initialized. Make sure to interact with queue events instances after the ` +
  `"onModuleInit" lifecycle hook is triggered, for example, in the "onApplicationBootstrap" hook, or if ` +
  `"manualRegistration" is set to true make sure to call "BullRegistrar.register()". The QueueEvents of ${owner} ` +
  `does not exist yet`;

export const UNKNOWN_JOB_NAME = (jobName: string, owner: string, known: readonly string[]) =>
  `No handler for job name "${jobName}" in ${owner} (handles ${list(known)}); add @Process('${jobName}') or a catch-all @Process()`;

export const LISTENER_FAILED = (owner: string, method: string, event: string) => `${owner}.${method} threw while handling "${event}"`;

export const WORKER_ERROR = (queue: string) => `Worker of queue "${queue}" reported an error`;

export const REDIS_ERROR = (configKey: string, server: string, message: string) =>
  `Redis connection "${configKey}" (${server}): ${message}`;

export const LISTENERS_NOT_READY = (queue: string, message: string) =>
  `Events listener of queue "${queue}" is not reading yet (${message}); it goes on trying`;

export const SHUTDOWN_DEADLINE = (queue: string, timeoutMs: number, jobIds: readonly string[]) =>
  `Worker of queue "${queue}" still had ${jobIds.length} active job(s) (${list(jobIds)}) after ${timeoutMs} ms: ` +
  `aborting them and moving them back to wait`;

export const FORCED_CLOSE_INCOMPLETE = (queue: string, graceMs: number) =>
  `Worker of queue "${queue}" did not finish closing within ${graceMs} ms of the forced close; ` + `shutting down without it`;

export const UNKNOWN_OPTION = (where: string, option: string, known: readonly string[]) =>
  `${where}: unknown option "${option}" (known: ${known.join(', ')})`;

export const INVALID_ASYNC_OPTIONS = (where: string) => `${where}: pass one of useFactory, useClass or useExisting`;
