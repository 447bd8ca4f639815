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
