import { entityTagCondition, strongMatches, weakMatches } from '../../src/http/entity-tags';

describe('entity tag lists (If-Match, If-None-Match)', () => {
  test.each([
    ['"1"', [{ opaque: '1', weak: false }]],
    ['W/"1"', [{ opaque: '1', weak: true }]],
    [' "1" ,W/"2",, "3"\t', [{ opaque: '1', weak: false }, { opaque: '2', weak: true }, { opaque: '3', weak: false }]],
    ['"a,b"', [{ opaque: 'a,b', weak: false }]],
    ['""', [{ opaque: '', weak: false }]],
  ])('when the header is %s, then the tags are read', (header, tags) => {
    expect(entityTagCondition(header)).toEqual({ any: false, tags });
  });

  test.each(['1', '"1" "2"', '"1', 'w/"1"', 'W/1', '"a"b', '"a\\"b"', '* , "1"'])('when the header is %s, then it is no list, and matches nothing', (header) => {
    const condition = entityTagCondition(header)!;
    expect(condition).toEqual({ any: false, tags: [] });
    expect([strongMatches(condition, '1'), weakMatches(condition, '1')]).toEqual([false, false]);
  });

  test('when the header is * (with spaces), then it matches any tag', () => {
    const condition = entityTagCondition(' * ')!;
    expect([strongMatches(condition, '9'), weakMatches(condition, '9')]).toEqual([true, true]);
  });

  test('when there is no header, then there is no condition; repeated headers read as one list', () => {
    expect(entityTagCondition(undefined)).toBeUndefined();
    expect(entityTagCondition(['"1"', 'W/"2"'])).toEqual({ any: false, tags: [{ opaque: '1', weak: false }, { opaque: '2', weak: true }] });
  });

  test('when a tag is weak, then only the weak comparison matches it', () => {
    const condition = entityTagCondition('W/"4"')!;
    expect([strongMatches(condition, '4'), weakMatches(condition, '4')]).toEqual([false, true]);
  });
});
