import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import type { BaseAdapter } from '@bull-board/api/dist/queueAdapters/base.js';
import type { BoardOptions } from '@bull-board/api/dist/types.js';
import { ExpressAdapter } from '@bull-board/express';

/** One answer of the board's REST API. */
export interface Answer<T = any> {
  status: number;
  body: T;
}

/** A client of a board's REST API at `base` (e.g. `http://127.0.0.1:1234/board`). */
export class BoardApi {
  constructor(readonly base: string) {}

  async call<T = any>(method: 'GET' | 'PUT' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<Answer<T>> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  get<T = any>(path: string): Promise<Answer<T>> {
    return this.call<T>('GET', path);
  }

  put<T = any>(path: string, body: unknown = {}): Promise<Answer<T>> {
    return this.call<T>('PUT', path, body);
  }

  post<T = any>(path: string, body: unknown): Promise<Answer<T>> {
    return this.call<T>('POST', path, body);
  }

  patch<T = any>(path: string, body: unknown): Promise<Answer<T>> {
    return this.call<T>('PATCH', path, body);
  }

  /** `/api/queues/<name>`, the name encoded as the board's UI encodes it. */
  queuePath(name: string, rest = ''): string {
    return `/api/queues/${encodeURIComponent(name)}${rest}`;
  }

  /** The queue list with one queue active (its jobs of `status`, first page). */
  async queues(activeQueue?: string, status = 'latest', jobsPerPage = 50): Promise<any[]> {
    const query =
      activeQueue === undefined ? '' : `?activeQueue=${encodeURIComponent(activeQueue)}&status=${status}&jobsPerPage=${jobsPerPage}&page=1`;
    const answer = await this.get<{ queues: any[] }>(`/api/queues${query}`);
    if (answer.status !== 200) throw new Error(`GET /api/queues answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body.queues;
  }

  async queue(name: string, status = 'latest'): Promise<any> {
    const found = (await this.queues(name, status)).find((q) => q.name === name);
    if (!found) throw new Error(`the board lists no queue ${name}`);
    return found;
  }
}

/** A board on its own HTTP server (a free port), served by @bull-board/express at `/board`. */
export interface ExpressBoard {
  api: BoardApi;
  board: ReturnType<typeof createBullBoard>;
  close(): Promise<void>;
}

export async function expressBoard(adapters: BaseAdapter[], options: BoardOptions = {}): Promise<ExpressBoard> {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/board');
  // responses checked against bull-board's own schemas: a field of the wrong shape is a 500
  const board = createBullBoard({ queues: adapters, serverAdapter, options: { validateResponses: true, ...options } });
  const router = serverAdapter.getRouter() as (req: unknown, res: unknown, next: () => void) => void;
  const server: Server = createServer((req, res) => {
    if (!req.url?.startsWith('/board')) {
      res.statusCode = 404;
      res.end();
      return;
    }
    req.url = req.url.slice('/board'.length) || '/';
    router(req, res, () => {
      res.statusCode = 404;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    api: new BoardApi(`http://127.0.0.1:${port}/board`),
    board,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
