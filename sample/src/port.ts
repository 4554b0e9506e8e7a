import net from 'node:net';

/**
 * Rejects when `port` is taken. Checked before the app starts: Nest starts the workers before it
 * listens, and a process that dies on EADDRINUSE would leave the jobs it already took in `active`
 * until the stalled checker finds them.
 */
export function assertPortFree(port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is in use (another sample?): set PORT, HEALTH_PORT or --port=N`) : err),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}
