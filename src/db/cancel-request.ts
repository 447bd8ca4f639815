import { connect } from 'node:net';

/** The identity PostgreSQL gave one session (BackendKeyData), which a cancel request names. */
export interface SessionKey {
  readonly host: string;
  readonly port: number;
  readonly processId: number;
  readonly secretKey: number;
}

/** The protocol's CancelRequest code: 1234 in the high 16 bits, 5678 in the low 16. */
const CANCEL_REQUEST_CODE = 80877102;

/** A cancel is one tiny message; an answer slower than this means the server is not answering at all. */
const CANCEL_TIMEOUT_MS = 2000;

/**
 * Asks PostgreSQL to cancel whatever the session is running (the protocol's CancelRequest, sent on
 * a connection of its own, as psql's Ctrl-C does). It works even when every pooled connection is
 * busy, and through PgBouncer, which answers cancel requests for its clients. Resolves once the
 * server has closed the cancel connection, that is once the cancel has been handed to the session,
 * or after `CANCEL_TIMEOUT_MS`; it never rejects: a cancel that cannot be delivered leaves the
 * statement to PostgreSQL's own timeouts.
 */
export function sendCancelRequest(key: SessionKey): Promise<void> {
  return new Promise((resolve) => {
    const socket = key.host.startsWith('/') ? connect(`${key.host}/.s.PGSQL.${key.port}`) : connect(key.port, key.host);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, CANCEL_TIMEOUT_MS);
    socket.once('connect', () => {
      const message = Buffer.alloc(16);
      message.writeInt32BE(16, 0);
      message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      message.writeInt32BE(key.processId, 8);
      message.writeInt32BE(key.secretKey, 12);
      // Written, not ended: the server closes the connection once it has the cancel. PgBouncer 1.18
      // crashes (FATAL "bad client state") when the client's end of a cancel connection closes
      // first, which would take down every session through it.
      socket.write(message);
    });
    socket.once('close', done);
    socket.once('error', done);
  });
}
