import Negotiator from 'negotiator';

export const JSON_MEDIA_TYPE = 'application/json; charset=utf-8';
/** The GraphQL over HTTP specification's own media type, which allows non-2xx statuses. */
export const GRAPHQL_RESPONSE_MEDIA_TYPE = 'application/graphql-response+json; charset=utf-8';

/**
 * The media type of a GraphQL response for this `Accept`, decided as Apollo Server decides it for
 * its own answers (the same `negotiator`, the same candidates in the same order), so that the
 * gateway's 401, 408, 429 and 503 read like Apollo's 400s. Without a usable `Accept`, JSON.
 */
export function graphqlResponseMediaType(accept: string | undefined): string {
  if (accept === undefined || accept === '') return JSON_MEDIA_TYPE;
  return new Negotiator({ headers: { accept } }).mediaType([JSON_MEDIA_TYPE, GRAPHQL_RESPONSE_MEDIA_TYPE]) ?? JSON_MEDIA_TYPE;
}

/** Apollo's third candidate for a single result, which nothing here asks for but Apollo may answer. */
const JSON_CALLBACK_MEDIA_TYPE = 'application/json; callbackSpec=1.0; charset=utf-8';

/**
 * The media type Apollo Server gives a single GraphQL result for this `Accept` (its
 * `chooseContentTypeForSingleResultResponse`: the same candidates in the same order); null for an
 * `Accept` it answers with 406. For answers given on Apollo's behalf (`known-operations.ts`).
 */
export function apolloResultMediaType(accept: string | undefined): string | null {
  if (!accept) return JSON_MEDIA_TYPE;
  return new Negotiator({ headers: { accept } }).mediaType([JSON_MEDIA_TYPE, GRAPHQL_RESPONSE_MEDIA_TYPE, JSON_CALLBACK_MEDIA_TYPE]) ?? null;
}
