import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'nestjs-conveyor';
import { ConveyorAdapter } from 'nestjs-conveyor/bull-board';

/** Where the sample serves bull-board, on the HTTP server of the roles that serve the API. */
export const BOARD_PATH = '/queues';

/**
 * An Express app serving bull-board for `queues` under `basePath`: the board's page, its assets
 * and its JSON API, which reads and changes the queues through Conveyor's adapter.
 */
export function boardRouter(basePath: string, queues: readonly Queue[]): ReturnType<ExpressAdapter['getRouter']> {
  // the UI builds its links and API calls from the base path, so it must be the mount path
  const serverAdapter = new ExpressAdapter().setBasePath(basePath);
  createBullBoard({
    queues: queues.map((queue) => new ConveyorAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Conveyor sample' } },
  });
  return serverAdapter.getRouter();
}
