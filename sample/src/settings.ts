import { registerAs } from '@nestjs/config';

export const ROLES = ['all', 'api', 'worker'] as const;
/** all: API and workers in one process; api: producer only (no workers); worker: workers (and /health). */
export type Role = (typeof ROLES)[number];

export interface SampleSettings {
  role: Role;
  port: number;
  redisUrl: string;
  /** Key prefix of the sample's queues (tests give each run its own). */
  queuePrefix: string;
  /** Enqueue a few demo jobs on boot (api and all roles). */
  demoJobs: boolean;
  shutdownTimeoutMs: number;
}

/**
 * The sample's settings, from the command line (`--role=api|worker|all`) and the environment:
 * CONVEYOR_ROLE, PORT (3000), REDIS_URL, QUEUE_PREFIX ('bull'), DEMO_JOBS ('true'),
 * SHUTDOWN_TIMEOUT_MS (10000). WORKER_CONCURRENCY is read by the email processor itself.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): SampleSettings {
  const roleArg = argv.find((a) => a.startsWith('--role='))?.slice('--role='.length);
  const role = roleArg ?? env.CONVEYOR_ROLE ?? 'all';
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new Error(`role must be one of ${ROLES.join(', ')} (--role=... or CONVEYOR_ROLE), got "${role}"`);
  }
  return {
    role: role as Role,
    port: integer('PORT', env.PORT, 3000),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: env.QUEUE_PREFIX ?? 'bull',
    demoJobs: (env.DEMO_JOBS ?? 'true') !== 'false',
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS, 10_000),
  };
}

export function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number >= 0, got "${text}"`);
  return value;
}

/** The settings for ConfigModule: inject with `@Inject(sampleConfig.KEY)`. */
export const sampleConfig = registerAs('sample', () => readSettings());
