import { createHash } from 'node:crypto';
import { InvalidInputError, type Problem } from '../errors/domain-error';

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

export const idempotencyKeyProblem = (): Problem => ({
  property: 'Idempotency-Key',
  code: 207,
  detail: `must be between 1 and ${IDEMPOTENCY_KEY_MAX_LENGTH} characters long.`,
});

/** An `Idempotency-Key` is 1-255 characters (CONTRACT.md section 3). */
export function checkIdempotencyKey(key: string): string {
  if (key.length < 1 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) throw new InvalidInputError([idempotencyKeyProblem()]);
  return key;
}

/**
 * What "the same body" means: the same hub would be created. Properties are compared after the
 * rules have normalised them (name trimmed, defaults applied), so a retry that a client library
 * serialises differently, or sends through the other transport, still matches.
 */
export function fingerprint(values: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(values)).digest('hex');
}
