// bull-board mounted by @bull-board/nestjs in a real Nest app (Express), with ConveyorAdapter as
// each queue's adapter (BullBoardModule.forRoot / forFeature, as docs/dashboards.md shows): the
// module finds Conveyor's queues by @nestjs/bullmq's tokens. The app runs in a child process
// (test/bull-board/fixtures/nest-board-app.mjs): @bull-board/nestjs is CommonJS requiring NestJS's
// ES modules, which Node does and Jest on Node 20 cannot. It imports the built package.
import { fileURLToPath } from 'node:url';
import { closedAfterEach } from '../support/scope.js';
import { BoardScope, fillQueue } from './support/scope.js';

const APP = fileURLToPath(new URL('./fixtures/nest-board-app.mjs', import.meta.url));

describe('bull-board through @bull-board/nestjs on Conveyor queues', () => {
  const scope = closedAfterEach(new BoardScope());

  it('lists the registered queues and acts on them; a read-only one refuses', async () => {
    const [emails, reports] = [scope.queue(), scope.queue()];
    const ids = await fillQueue(scope, emails);
    const { app, api } = await scope.childBoard(APP, { QUEUE_A: emails.name, QUEUE_B: reports.name }, '/queues');

    const queues = await api.queues(emails.name);
    expect(queues.map((q) => [q.name, q.displayName, q.readOnlyMode])).toEqual([
      [emails.name, undefined, false],
      [reports.name, 'Reports', true],
    ]);
    expect(queues[0].counts).toEqual(await emails.getJobCounts());

    expect(await api.put(api.queuePath(emails.name, `/${ids.failed}/retry`))).toEqual({ status: 204, body: undefined });
    expect(await emails.getJobState(ids.failed)).toBe('waiting');
    expect(await api.put(api.queuePath(emails.name, '/pause'))).toEqual({ status: 200, body: {} });
    expect(await emails.isPaused()).toBe(true);
    expect(await api.put(api.queuePath(reports.name, '/pause'))).toEqual({
      status: 405,
      body: { error: { key: 'ERRORS.QUEUE_READ_ONLY' } },
    });
    expect(await reports.isPaused()).toBe(false);

    // the UI page itself is served too
    const page = await fetch(`${await app.url}/queues`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);

    const { stderr } = await app.stop();
    expect(stderr).not.toMatch(/Error/);
  }, 30_000);
});
