import { samplerFor } from '../../src/tracing/tracing';

/** OTEL_TRACES_SAMPLER's names, as config.ts reads them, become the SDK's samplers. */
describe('the sampler of the tracing configuration', () => {
  test.each([
    ['always_on', 1, 'AlwaysOnSampler'],
    ['always_off', 1, 'AlwaysOffSampler'],
    ['traceidratio', 0.25, 'TraceIdRatioBased{0.25}'],
    ['parentbased_always_on', 1, 'ParentBased{root=AlwaysOnSampler'],
    ['parentbased_always_off', 1, 'ParentBased{root=AlwaysOffSampler'],
    ['parentbased_traceidratio', 0.1, 'ParentBased{root=TraceIdRatioBased{0.1}'],
  ] as const)('when it is %s (ratio %d), then the SDK samples with %s', (sampler, samplerRatio, described) => {
    expect(samplerFor({ sampler, samplerRatio }).toString()).toContain(described);
  });
});
