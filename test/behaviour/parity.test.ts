import fc from 'fast-check';
import { newTenant, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { graphqlTransport, restTransport, type HubInputView, type Outcome, type Transport } from './transports';

/**
 * One judge of hub input (CONTRACT.md section 4: "for any input, REST and GraphQL accept the same
 * values and refuse the same ones with the same Hubster codes"): random hub inputs, the same ones
 * through both transports, must get the same verdict and the same codes.
 */
let gateway: TestGateway;
let rest: Transport;
let graphql: Transport;

beforeAll(async () => {
  gateway = await startGateway({ RATE_LIMIT_MAX: '1000000' });
  rest = restTransport(gateway);
  graphql = graphqlTransport(gateway);
});
afterAll(() => gateway.close());

const padding = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \u3000', '\u00a0');
const piece = fc.constantFrom('a', 'Z', 'é', 'e\u0301', 'ß', '😀', ' ', '\u200b', '\u00ad', '\u0000', '\u001b', '\t', '\ud800', '中', 'İ');
/** Names around the length limit, with padding that trimming removes. */
const name = fc.oneof(
  fc.tuple(padding, fc.integer({ min: 95, max: 105 }), padding).map(([before, length, after]) => `${before}${'n'.repeat(length)}${after}`),
  fc.tuple(padding, fc.array(piece, { minLength: 0, maxLength: 12 }), padding).map(([before, pieces, after]) => `${before}${pieces.join('')}${after}`),
  fc.string({ maxLength: 110 }),
);
const description = fc.oneof(fc.integer({ min: 995, max: 1005 }).map((length) => 'd'.repeat(length)), fc.array(piece, { maxLength: 20 }).map((pieces) => pieces.join('')));
const days = fc.oneof(fc.integer({ min: -3, max: 3655 }), fc.constantFrom(0, 3650, 3651, -1, 2 ** 31, 1.5, null));

const hubInput: fc.Arbitrary<HubInputView> = fc.record(
  {
    name,
    description,
    closeDormantConversation: days,
    statusId: fc.constantFrom(2000, 2002, 2001),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<HubInputView>;

/** What a caller learns from an outcome: success, or the failure and its codes. */
const verdict = (outcome: Outcome<unknown>) => (outcome.ok ? 'created' : `${outcome.failure} ${[...outcome.codes].sort().join(',')}`);

test('when the same random hub is created through REST and through GraphQL, then both give the same verdict and the same codes', async () => {
  await fc.assert(
    fc.asyncProperty(hubInput, async (input) => {
      // A tenant each, so that one transport's hub never takes the other's name.
      const [viaRest, viaGraphQL] = await Promise.all([
        tokenFor(newTenant()).then((token) => rest.create(token, input)),
        tokenFor(newTenant()).then((token) => graphql.create(token, input)),
      ]);
      expect({ rest: verdict(viaRest), graphql: verdict(viaGraphQL) }).toEqual({ rest: verdict(viaRest), graphql: verdict(viaRest) });
      if (viaRest.ok && viaGraphQL.ok) expect({ ...viaGraphQL.value, hubId: '', tenantId: '' }).toEqual({ ...viaRest.value, hubId: '', tenantId: '' });
    }),
    {
      numRuns: 150,
      interruptAfterTimeLimit: 20_000,
      // The disagreement that had REST and GraphQL judge apart: a 100-character name with a trailing space.
      examples: [[{ name: `${'n'.repeat(100)} `, description: '' }], [{ name: `Cafe\u0301${'n'.repeat(96)}`, description: '' }]],
    },
  );
});

test('when the same random change is applied through REST and through GraphQL, then both give the same verdict and the same codes', async () => {
  await fc.assert(
    fc.asyncProperty(hubInput, async (change) => {
      const outcomes = await Promise.all(
        [rest, graphql].map(async (transport) => {
          const token = await tokenFor(newTenant());
          const created = await transport.create(token, { name: 'Before', description: 'before' });
          if (!created.ok) throw new Error(`set-up create failed: ${verdict(created)}`);
          return transport.update(token, created.value.hubId, change);
        }),
      );
      expect(verdict(outcomes[1]!)).toBe(verdict(outcomes[0]!));
    }),
    { numRuns: 100, interruptAfterTimeLimit: 20_000, examples: [[{ name: `${'n'.repeat(100)}\t` }]] },
  );
});
