// bull-board served by @bull-board/fastify on a real Fastify server, with ConveyorAdapter: the
// adapters are the board's, whatever server serves it. The server runs in a child process
// (test/bull-board/fixtures/fastify-board-app.mjs): @fastify/static requires an ES module, which
// Node does and Jest on Node 20 cannot. It imports the built package.
import { fileURLToPath } from 'node:url';
import { closedAfterEach } from '../support/scope.js';
import { BoardScope, fillQueue } from './support/scope.js';

const APP = fileURLToPath(new URL('./fixtures/fastify-board-app.mjs', import.meta.url));

describe('bull-board on @bull-board/fastify with Conveyor queues', () => {
  const scope = closedAfterEach(new BoardScope());

  it('lists the queue with its counts and promotes a delayed job', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { app, api } = await scope.childBoard(APP, { QUEUE_A: queue.name }, '/board');

    const [listed] = await api.queues(queue.name, 'delayed');
    expect(listed).toMatchObject({
      name: queue.name,
      counts: await queue.getJobCounts(),
      jobs: [expect.objectContaining({ id: ids.delayed })],
    });
    expect(await api.put(api.queuePath(queue.name, `/${ids.delayed}/promote`))).toEqual({ status: 204, body: undefined });
    expect(await queue.getJobState(ids.delayed)).toBe('waiting');

    const { code, stderr } = await app.stop();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }, 30_000);
});
