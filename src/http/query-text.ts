import type { FastifySchemaCompiler } from 'fastify';

/** A decimal integer exactly as written: no sign but `-`, no spaces, no exponent, no hex. */
const DECIMAL_INTEGER = /^-?[0-9]+$/;

interface ObjectSchema {
  readonly properties?: Readonly<Record<string, { readonly type?: unknown }>>;
}

/**
 * A Fastify validator for the query string that only reads its text: each property the route's
 * schema declares an integer becomes a number when it is written as a decimal integer (`10`,
 * `-1`), and stays as sent otherwise (`0x10`, `1e1`, `+5`, `1 `, or an array when repeated), for
 * the domain's rules to refuse. Ajv's own coercion would read all of those as numbers (its `+x`).
 * It decides nothing itself: the route's rules do, as for every other transport.
 */
export function queryTextReader(schema: ObjectSchema): (query: unknown) => { value: Record<string, unknown> } {
  const integers = Object.entries(schema.properties ?? {})
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
  return (query) => {
    const value: Record<string, unknown> = { ...(query as Record<string, unknown> | null) };
    for (const name of integers) {
      const text = value[name];
      if (typeof text === 'string' && DECIMAL_INTEGER.test(text)) value[name] = Number(text);
    }
    return { value };
  };
}

/**
 * A Fastify validator compiler for routes whose schemas describe (OpenAPI, response serialisation)
 * but do not judge: the query string is read by `queryTextReader`, everything else passes as sent,
 * for the domain's rules to judge once, the same way for every transport.
 */
export const describingValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (httpPart === 'querystring') return queryTextReader(schema as ObjectSchema);
  return passesAsSent;
};

const passesAsSent = (): true => true;
