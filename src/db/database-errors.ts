import { QueryFailedError } from 'typeorm';
import { RequestTimeoutError, ServiceUnavailableError } from '../errors/domain-error';

/**
 * SQLSTATEs that mean "the database is not there for us right now": connection exceptions (class
 * 08), shutdown or start-up in progress, too many connections, and other resource exhaustion.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-4]|53...)$/;
/** Statement or lock wait cancelled by `statement_timeout` / `lock_timeout`: the deadline passed. */
const CANCELLED_SQLSTATE = new Set(['57014', '55P03']);
/** Socket-level failures of node-postgres, and pool waits that ran out. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down)|terminating connection/i;

/**
 * Reads a database failure in the domain's terms: unreachable -> 503 (retry), cancelled by the
 * deadline -> 408. Anything else is returned unchanged and stays unexpected (500).
 */
export function translateDatabaseError(error: unknown, timeoutMs: number): unknown {
  const driverError = (error instanceof QueryFailedError ? error.driverError : error) as
    | { code?: unknown; message?: unknown }
    | undefined;
  const code = typeof driverError?.code === 'string' ? driverError.code : '';
  if (CANCELLED_SQLSTATE.has(code)) return new RequestTimeoutError(timeoutMs);
  if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)) return new ServiceUnavailableError();
  if (typeof driverError?.message === 'string' && UNAVAILABLE_MESSAGE.test(driverError.message)) {
    return new ServiceUnavailableError();
  }
  return error;
}
