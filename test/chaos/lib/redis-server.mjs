// The chaos suite's redis-server (scripts/redis-server.mjs): in the scenario's directory, with AOF
// fsynced on every write, so that what it acknowledged must come back after a kill -9 and a start
// on the same port and directory. Every pid it runs under is reported, so none is left behind.
import { Redis } from 'ioredis';
import { RedisServer as OwnRedisServer } from '../../../scripts/redis-server.mjs';

export class RedisServer extends OwnRedisServer {
  /**
   * @param {string} dir
   * @param {(pid: number, alive: boolean) => void} [onPid]
   */
  static async start(dir, onPid) {
    const server = new RedisServer(dir, onPid);
    await server.start();
    return server;
  }

  /**
   * @param {string} dir
   * @param {(pid: number, alive: boolean) => void} [onPid]
   */
  constructor(dir, onPid) {
    super({
      dir,
      aof: true,
      onPid,
      readyTimeoutMs: 20_000,
      args: ['--maxmemory-policy', 'noeviction', '--protected-mode', 'no', '--loglevel', 'notice'],
    });
  }

  kill9() {
    return this.kill();
  }

  /** An admin client for the runner: CLIENT KILL, CONFIG, and the checker's reads. */
  adminClient() {
    return new Redis(this.url, {
      connectionName: 'chaos-admin',
      maxRetriesPerRequest: null,
      retryStrategy: () => 50,
      enableAutoPipelining: false,
    });
  }
}
