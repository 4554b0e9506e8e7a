// An unreachable Redis is reported with every distinct reason the attempts gave, in order: the
// attempt that says why (a refused certificate, a reset) is often not the last one.
import net from 'node:net';
import { ConveyorConnectionError, Queue } from '../../lib/index.js';
import { uniqueName } from '../support/redis.js';

/** A server that resets its first connection, then stops listening (later attempts are refused). */
async function resetThenGone(): Promise<{ port: number; closed: Promise<void> }> {
  let closedResolve!: () => void;
  const closed = new Promise<void>((resolve) => (closedResolve = resolve));
  const server = net.createServer((socket) => {
    socket.resetAndDestroy();
    server.close(() => closedResolve());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, closed };
}

describe('an unreachable Redis', () => {
  it('names each distinct connect error in the rejection, the first one included', async () => {
    const { port, closed } = await resetThenGone();
    const queue = new Queue(uniqueName('gone'), {
      connection: { host: '127.0.0.1', port, connectTimeout: 800, retryStrategy: () => 20 },
    });
    queue.on('error', () => {});
    try {
      const error = await queue.add('j', {}).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(ConveyorConnectionError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^Redis at 127\\.0\\.0\\.1:${port} is unreachable \\(no connection within \\d+ ms\\): .*ECONNRESET.*; then .*ECONNREFUSED`,
        ),
      );
    } finally {
      await queue.close();
      await closed;
    }
  });
});
