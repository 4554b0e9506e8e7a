// What the @nestjs/bullmq apps beside this file share: where Redis is, their key prefix, and a
// Recorder provider that notes what their processors and listeners saw. Nothing here imports
// @nestjs/bullmq, bullmq or nestjs-conveyor: each app runs once on @nestjs/bullmq and once, with
// only its imports changed, on Conveyor (see ../nest-bullmq-apps.spec.ts).
import { fileURLToPath } from 'node:url';
import { Injectable } from '@nestjs/common';
import { connection } from '../../support/redis.js';

/** The Redis the test setup found, as `connection` options. */
export function redisConnection(): { host: string; port: number; username?: string; password?: string } {
  return connection();
}

/** The key prefix the suite gave this run of the app (each run has its own, so runs never meet). */
export function appPrefix(): string {
  const prefix = process.env.BULLMQ_APP_PREFIX;
  if (!prefix) throw new Error('BULLMQ_APP_PREFIX is not set: the apps run under ../nest-bullmq-apps.spec.ts');
  return prefix;
}

/** A processor file for `processors: [...]` (it runs in a child process on both engines). */
export const FRAMES_PROCESSOR = fileURLToPath(new URL('./frames.processor.mjs', import.meta.url));

/** What an app saw, in order; the suite waits for entries and compares both runs. */
@Injectable()
export class Recorder {
  readonly entries: string[] = [];
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  record(entry: string): void {
    this.entries.push(entry);
    for (const waiter of this.waiters.filter((w) => this.entries.length >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  /** Resolves with the entries once there are `count`; rejects after `timeoutMs` with what there is. */
  async until(count: number, timeoutMs = 10_000): Promise<string[]> {
    if (this.entries.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`saw ${this.entries.length} of ${count} entries: ${JSON.stringify(this.entries)}`)),
          timeoutMs,
        );
        this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    }
    return [...this.entries];
  }
}

/** Holds every caller until `size` of them wait, then lets them all go: proves that many ran at once. */
export class Barrier {
  private waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  arrive(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length >= this.size) for (const release of this.waiting.splice(0)) release();
    });
  }
}
