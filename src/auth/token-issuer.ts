import { SignJWT } from 'jose';

export interface TokenRequest {
  readonly secret: string;
  readonly tenantId: string;
  readonly tenantClaim: string;
  readonly scopes: readonly string[];
  readonly ttlSeconds: number;
  readonly issuer?: string;
  readonly audience?: string;
}

/** Mints an HS256 bearer token, for `npm run token`, the embedded start-up banner and tests. */
export async function mintToken(request: TokenRequest): Promise<string> {
  let jwt = new SignJWT({ [request.tenantClaim]: request.tenantId, scope: request.scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(`tenant:${request.tenantId}`)
    .setIssuedAt()
    .setExpirationTime(`${request.ttlSeconds}s`);
  if (request.issuer !== undefined) jwt = jwt.setIssuer(request.issuer);
  if (request.audience !== undefined) jwt = jwt.setAudience(request.audience);
  return jwt.sign(new TextEncoder().encode(request.secret));
}
