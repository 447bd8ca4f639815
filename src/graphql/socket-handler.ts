import type { WebsocketHandler } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket } from 'ws';

/** What a socket's operations know of it: not the upgrade request, which would live as long. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly requestId: string;
  readonly log: FastifyBaseLogger;
}

/** Pings each socket this often, and drops it when the pong does not come within as long. */
const KEEP_ALIVE_MS = 12_000;

/**
 * graphql-ws on a @fastify/websocket route, as the library's own `use/@fastify/websocket` does it,
 * with two differences: an operation's context gets the request's id and logger rather than the
 * whole upgrade request (graphql-ws keeps its `extra` for the socket's life, and a request with
 * its raw message and headers is most of what an idle socket costs), and internal errors go to
 * the gateway's log instead of the console.
 */
export function socketHandler(options: ServerOptions<Record<string, unknown> | undefined, SocketExtra>, log: FastifyBaseLogger): WebsocketHandler {
  const server = makeServer(options);
  return function handle(socket, request) {
    this.websocketServer.options.handleProtocols = handleProtocols;
    // Only these two of the request live on with the socket: closures below must not hold it.
    const requestId = request.id;
    const requestLog = request.log;
    const fail = (error: unknown, where: string) => {
      log.error({ err: error, reqId: requestId }, `internal error ${where} on a GraphQL WebSocket`);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    };
    socket.once('error', (error) => fail(error, 'emitted'));

    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, KEEP_ALIVE_MS);

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (receive) =>
          socket.on('message', (message) => {
            receive(String(message)).catch((error: unknown) => fail(error, 'while handling a message'));
          }),
      },
      { socket, requestId, log: requestLog },
    );
    const openedAt = Date.now();
    socket.once('close', (code, reason) => {
      clearTimeout(pongWait);
      clearInterval(ping);
      // One line per socket, as HTTP has one per request.
      requestLog.info({ code, seconds: Math.round((Date.now() - openedAt) / 1000) }, 'GraphQL WebSocket closed');
      void closed(code, String(reason));
    });
  };
}
