// @ts-check
// What the results were measured on: machine, Node, Redis, package versions, commit.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { installedVersion } from './sides.mjs';

/**
 * @typedef {{
 *   cpu: string, cores: number, memoryGiB: number, platform: string,
 *   node: string, redis: string, redisSource: string,
 *   conveyor: string, bullmq: string, ioredis: string,
 *   loadAtStart: number[], loadAtEnd: number[], date: string,
 * }} Environment
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));

function gitCommit() {
  const git = (/** @type {string[]} */ ...args) => spawnSync('git', args, { encoding: 'utf8', cwd: REPO });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown';
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'lib', 'lua').stdout.trim() !== '';
  return dirty ? `${head.stdout.trim()} + uncommitted changes in lib/ or lua/` : head.stdout.trim();
}

/**
 * @param {{ redisVersion: string, redisSource: string, conveyorVersion: string, conveyorEntry: string | undefined }} found
 * @returns {Environment}
 */
export function describeEnvironment({ redisVersion, redisSource, conveyorVersion, conveyorEntry }) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    platform: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    redis: redisVersion,
    redisSource,
    conveyor: `${conveyorVersion} (${conveyorEntry ? `loaded from ${conveyorEntry}` : 'built dist/'}, working tree at commit ${gitCommit()})`,
    bullmq: installedVersion('bullmq'),
    ioredis: installedVersion('ioredis'),
    loadAtStart: os.loadavg(),
    loadAtEnd: [],
    date: new Date().toISOString(),
  };
}
