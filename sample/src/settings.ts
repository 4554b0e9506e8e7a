import { registerAs } from '@nestjs/config';

export const ROLES = ['all', 'api', 'worker'] as const;
/** all: API and workers in one process; api: producer only (no workers); worker: workers only. */
export type Role = (typeof ROLES)[number];

/**
 * The sample's own key prefix: BullMQ's `bull` is where other apps keep their queues, and the
 * sample's fixed queue names (`emails`, `reports`) must never take their jobs.
 */
export const SAMPLE_PREFIX = 'conveyor-sample';

export interface SampleSettings {
  role: Role;
  /** HTTP port; `undefined`: no HTTP server (a worker-only process by default). */
  port: number | undefined;
  redisUrl: string;
  /** Key prefix of the sample's queues (tests give each run its own). */
  queuePrefix: string;
  /** Enqueue a few demo jobs on boot (api and all roles). */
  demoJobs: boolean;
  shutdownTimeoutMs: number;
}

/**
 * The sample's settings, from the command line (`--role=api|worker|all`, `--port=N`) and the
 * environment: CONVEYOR_ROLE, PORT (3000, roles all and api), HEALTH_PORT (role worker: serves
 * /health there; unset: no HTTP), REDIS_URL, QUEUE_PREFIX ('conveyor-sample'), DEMO_JOBS ('true'),
 * SHUTDOWN_TIMEOUT_MS (10000). WORKER_CONCURRENCY is read by the email processor itself.
 *
 * A worker process ignores PORT so that it starts beside the API from the same environment.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): SampleSettings {
  const role = option(argv, 'role') ?? env.CONVEYOR_ROLE ?? 'all';
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new Error(`role must be one of ${ROLES.join(', ')} (--role=... or CONVEYOR_ROLE), got "${role}"`);
  }
  const portArg = option(argv, 'port');
  const port =
    portArg !== undefined
      ? integer('--port', portArg, 0)
      : role === 'worker'
        ? optionalInteger('HEALTH_PORT', env.HEALTH_PORT)
        : integer('PORT', env.PORT, 3000);
  return {
    role: role as Role,
    port,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    queuePrefix: env.QUEUE_PREFIX || SAMPLE_PREFIX,
    demoJobs: (env.DEMO_JOBS ?? 'true') !== 'false',
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS, 10_000),
  };
}

function option(argv: readonly string[], name: string): string | undefined {
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(`--${name}=`.length);
}

export function integer(name: string, text: string | undefined, fallback: number): number {
  return optionalInteger(name, text) ?? fallback;
}

function optionalInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number >= 0, got "${text}"`);
  return value;
}

/** A Redis URL fit to print: the password replaced by `***`. */
export function printableRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/** The settings for ConfigModule: inject with `@Inject(sampleConfig.KEY)`. */
export const sampleConfig = registerAs('sample', () => readSettings());
