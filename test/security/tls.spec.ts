// TLS: a Queue, a Worker (and its blocking connection) and QueueEvents (and its own) reach a
// TLS-only redis-server through a `rediss://` URL with `tls: { ca }`, and through ioredis options
// `{ host, port, tls: { ca } }`; the CA is a throwaway one made with openssl for this suite.
import { spawnSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents, Worker, type ConnectionOptions } from '../../lib/index.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { once } from '../support/events.js';
import { uniqueName } from '../support/redis.js';

/** A CA and a server certificate for 127.0.0.1 / localhost, signed by it. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const openssl = (...args: string[]) => {
    const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (run.error) {
      throw new Error(`this suite needs openssl on the PATH to make its throwaway certificates (${run.error.message})`);
    }
    if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr}`);
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=Conveyor test CA',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
  );
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

describe('TLS connections (rediss:// and tls options)', () => {
  let certDir: string;
  let server: RedisServer;
  let ca: Buffer;

  beforeAll(async () => {
    certDir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-tls-'));
    const files = makeCertificates(certDir);
    ca = readFileSync(files.ca);
    try {
      server = await RedisServer.start({
        args: ['--tls-cert-file', files.cert, '--tls-key-file', files.key, '--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'no'],
        tls: true,
      });
    } catch (err) {
      throw new Error(
        `the local redis-server cannot serve TLS (built without it, or it refused the options), so this suite cannot run: ${(err as Error).message}`,
        { cause: err },
      );
    }
  });

  afterAll(async () => {
    await server?.close();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  async function runOneJob(connection: () => ConnectionOptions): Promise<void> {
    const name = uniqueName('tls');
    const queue = new Queue(name, { connection: connection() });
    const events = new QueueEvents(name, { connection: connection() });
    const worker = new Worker(name, async (job) => ({ doubled: job.data.n * 2 }), { connection: connection() });
    const errors: Error[] = [];
    for (const emitter of [queue, events, worker] as EventEmitter[]) emitter.on('error', (err: Error) => errors.push(err));
    try {
      await events.waitUntilReady();
      const completedEvent = once(events, 'completed', 10_000);
      const completedLocally = once(worker, 'completed', 10_000);
      const job = await queue.add('double', { n: 21 });
      const [[, result], [args]] = await Promise.all([completedLocally, completedEvent]);
      expect(result).toEqual({ doubled: 42 });
      expect(args).toEqual(expect.objectContaining({ jobId: job.id, returnvalue: { doubled: 42 } }));
      expect(await job.getState()).toBe('completed');
      expect(errors).toEqual([]);
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
  }

  it('runs a job over a rediss:// URL with tls: { ca }', async () => {
    await runOneJob(() => ({ url: `rediss://127.0.0.1:${server.port}`, tls: { ca } }));
  });

  it('runs a job over ioredis options { host, port, tls: { ca } }', async () => {
    await runOneJob(() => ({ host: '127.0.0.1', port: server.port, tls: { ca } }));
  });

  it('refuses a server whose certificate it cannot verify (no CA given), saying why', async () => {
    const queue = new Queue(uniqueName('tls'), { connection: { url: `rediss://127.0.0.1:${server.port}`, connectTimeout: 1500 } });
    const errors: Error[] = [];
    queue.on('error', (err: Error) => errors.push(err));
    try {
      await expect(queue.add('j', {})).rejects.toThrow(/unreachable .*self-signed certificate/);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await queue.close();
    }
  });
});
