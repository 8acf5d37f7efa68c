import Fastify, { type FastifyInstance } from 'fastify';

/**
 * A tiny OpenAlgo stand-in on 127.0.0.1 for client tests: each route answers with what the test
 * scripts (a JSON body, a raw body, a hang, a socket reset), and every received body is recorded.
 */
export type Scripted =
  | { status?: number; json: unknown }
  | { status?: number; raw: string; contentType?: string }
  | { hang: true }
  | { reset: true };

export interface FakeOpenAlgo {
  readonly url: string;
  readonly received: Map<string, Record<string, unknown>[]>;
  /** Scripts the next answers of a route (in order); the last one repeats. */
  script(route: string, ...answers: Scripted[]): void;
  count(route: string): number;
  /** Answers every hanging request with `answer`. */
  release(answer?: Scripted): void;
  /** Resolves once `route` has received `n` requests. */
  waitFor(route: string, n?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeOpenAlgo(): Promise<FakeOpenAlgo> {
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  const scripts = new Map<string, Scripted[]>();
  const received = new Map<string, Record<string, unknown>[]>();
  const waiters: Array<{ route: string; n: number; resolve: () => void }> = [];
  const hanging: Array<(a: Scripted) => void> = [];

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(null, { __unparseable: body });
    }
  });

  app.post('/api/v1/:route', (req, reply) => {
    const route = (req.params as { route: string }).route;
    const list = received.get(route) ?? [];
    list.push(req.body as Record<string, unknown>);
    received.set(route, list);
    for (const w of waiters.filter((x) => x.route === route && list.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const queue = scripts.get(route) ?? [];
    const answer = queue.length > 1 ? queue.shift()! : queue[0];
    const send = (a: Scripted | undefined) => {
      if (!a) {
        void reply.code(404).send({ status: 'error', message: 'Not found', path: `/api/v1/${route}` });
        return;
      }
      if ('hang' in a) {
        hanging.push(send);
        return;
      }
      if ('reset' in a) {
        req.raw.socket.destroy();
        return;
      }
      if ('json' in a) {
        void reply.code(a.status ?? 200).send(a.json);
        return;
      }
      void reply
        .code(a.status ?? 200)
        .header('content-type', a.contentType ?? 'application/json')
        .send(a.raw);
    };
    send(answer);
    return reply;
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    script(route, ...answers) {
      scripts.set(route, answers);
    },
    count(route) {
      return received.get(route)?.length ?? 0;
    },
    release(answer = { json: { status: 'success', orderid: 'released' } }) {
      for (const h of hanging.splice(0)) h(answer);
    },
    waitFor(route, n = 1) {
      if ((received.get(route)?.length ?? 0) >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ route, n, resolve }));
    },
    async close() {
      for (const h of hanging.splice(0)) h({ reset: true });
      await app.close();
    },
  };
}
