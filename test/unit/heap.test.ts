import { HEAP_GROWING_PERCENT, tuneHeap } from '../../src/common/heap';

describe('the heap growth the gateway runs with', () => {
  test('when node is started without a heap growth of its own, then the gateway sets its own', () => {
    const set = jest.fn();
    expect(tuneHeap(['--enable-source-maps'], set)).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(set).toHaveBeenCalledWith(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  });

  test.each([['--heap-growing-percent=200'], ['--heap_growing_percent=10']])('when node is started with %s, then that one stands', (given) => {
    const set = jest.fn();
    expect(tuneHeap([given], set)).toBeUndefined();
    expect(set).not.toHaveBeenCalled();
  });
});
