import { InvalidInputError, type Problem } from '../../src/errors/domain-error';
import { checkHubChanges, checkHubId, checkNewHub, checkPageRequest, type HubInput } from '../../src/hubs/hub.rules';

const valid = { name: 'Support', description: 'Customer support hub' };

/** The problems a check throws, as `property:code` pairs. */
function problems(check: () => unknown): string[] {
  try {
    check();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems.map((p: Problem) => `${p.property}:${p.code}`);
    throw error;
  }
  throw new Error('expected InvalidInputError');
}

describe('a new hub', () => {
  test('when only name and description are given, then closeDormantConversation is 0 and status Active', () => {
    expect(checkNewHub(valid)).toEqual({ ...valid, closeDormantConversation: 0, statusId: 2000 });
  });

  test('when the name has surrounding white space, then it is trimmed', () => {
    expect(checkNewHub({ ...valid, name: '  \t Support \n' }).name).toBe('Support');
  });

  test('when closeDormantConversation is null, then it is 0 (stays open)', () => {
    expect(checkNewHub({ ...valid, closeDormantConversation: null }).closeDormantConversation).toBe(0);
  });

  test('when the description is empty, then it is accepted', () => {
    expect(checkNewHub({ ...valid, description: '' }).description).toBe('');
  });

  test('when limits are reached exactly, then they are accepted', () => {
    const hub = checkNewHub({ name: 'n'.repeat(100), description: 'd'.repeat(1000), closeDormantConversation: 3650, statusId: 2002 });
    expect(hub).toMatchObject({ closeDormantConversation: 3650, statusId: 2002 });
  });

  test('when text holds surrogate pairs (emoji), then it is valid text', () => {
    expect(checkNewHub({ ...valid, description: '\ud83d\ude00 ok' }).description).toBe('😀 ok');
  });

  test('when lengths are counted, then each Unicode code point counts once (emoji included)', () => {
    expect(checkNewHub({ ...valid, name: '😀'.repeat(100) }).name).toHaveLength(200);
    expect(problems(() => checkNewHub({ ...valid, name: '😀'.repeat(101) }))).toEqual(['name:207']);
  });

  test.each<[string, HubInput, string[]]>([
    ['name missing', { description: 'x' }, ['name:301']],
    ['description missing', { name: 'x' }, ['description:301']],
    ['both missing', {}, ['name:301', 'description:301']],
    ['name null', { ...valid, name: null }, ['name:302']],
    ['description null', { ...valid, description: null }, ['description:302']],
    ['name a number', { ...valid, name: 5 }, ['name:302']],
    ['name only white space', { ...valid, name: '   ' }, ['name:207']],
    ['name 101 characters', { ...valid, name: 'n'.repeat(101) }, ['name:207']],
    ['name with NUL', { ...valid, name: 'a\u0000b' }, ['name:302']],
    ['description 1001 characters', { ...valid, description: 'd'.repeat(1001) }, ['description:207']],
    ['description with NUL', { ...valid, description: '\u0000' }, ['description:302']],
    ['name with an unpaired high surrogate', { ...valid, name: 'a\ud800b' }, ['name:302']],
    ['description with an unpaired low surrogate', { ...valid, description: '\udc00' }, ['description:302']],
    ['closeDormantConversation negative', { ...valid, closeDormantConversation: -1 }, ['closeDormantConversation:207']],
    ['closeDormantConversation 3651', { ...valid, closeDormantConversation: 3651 }, ['closeDormantConversation:207']],
    ['closeDormantConversation 1.5', { ...valid, closeDormantConversation: 1.5 }, ['closeDormantConversation:302']],
    ['closeDormantConversation a string', { ...valid, closeDormantConversation: '30' }, ['closeDormantConversation:302']],
    ['statusId 2001', { ...valid, statusId: 2001 }, ['statusId:206']],
    ['statusId a string', { ...valid, statusId: '2000' }, ['statusId:302']],
    ['statusId null', { ...valid, statusId: null }, ['statusId:302']],
    [
      'everything wrong at once',
      { name: 7, description: 'd'.repeat(1001), closeDormantConversation: 9999, statusId: 1 },
      ['name:302', 'description:207', 'closeDormantConversation:207', 'statusId:206'],
    ],
  ])('when %s, then the problems are %j', (_case, input, expected) => {
    expect(problems(() => checkNewHub(input))).toEqual(expected);
  });

  test('when a problem is reported, then its message names the property and says what to fix', () => {
    try {
      checkNewHub({ description: 'x' });
    } catch (error) {
      expect((error as InvalidInputError).message).toBe("Property 'name' is required.");
    }
    expect.assertions(1);
  });
});

describe('hub changes', () => {
  test('when nothing is given, then nothing changes', () => {
    expect(checkHubChanges({})).toEqual({});
  });

  test('when some properties are given, then only they change', () => {
    expect(checkHubChanges({ description: 'new', statusId: 2002 })).toEqual({ description: 'new', statusId: 2002 });
  });

  test('when closeDormantConversation is null, then it becomes 0', () => {
    expect(checkHubChanges({ closeDormantConversation: null })).toEqual({ closeDormantConversation: 0 });
  });

  test('when the name is given, then it is trimmed and checked like a new one', () => {
    expect(checkHubChanges({ name: ' Sales ' })).toEqual({ name: 'Sales' });
    expect(problems(() => checkHubChanges({ name: '' }))).toEqual(['name:207']);
  });

  test.each<[string, HubInput, string[]]>([
    ['name null', { name: null }, ['name:302']],
    ['statusId null', { statusId: null }, ['statusId:302']],
    ['statusId 3000', { statusId: 3000 }, ['statusId:206']],
    ['description an object', { description: {} }, ['description:302']],
  ])('when %s, then the problems are %j', (_case, input, expected) => {
    expect(problems(() => checkHubChanges(input))).toEqual(expected);
  });
});

describe('a page request', () => {
  test('when nothing is given, then page 0 of 50', () => {
    expect(checkPageRequest({})).toEqual({ pageNumber: 0, pageSize: 50 });
  });

  test('when limits are reached exactly, then they are accepted', () => {
    expect(checkPageRequest({ pageNumber: 0, pageSize: 1 })).toEqual({ pageNumber: 0, pageSize: 1 });
    expect(checkPageRequest({ pageNumber: 7, pageSize: 100 })).toEqual({ pageNumber: 7, pageSize: 100 });
  });

  test.each<[string, { pageNumber?: unknown; pageSize?: unknown }, string[]]>([
    ['pageNumber -1', { pageNumber: -1 }, ['pageNumber:209']],
    ['pageSize 0', { pageSize: 0 }, ['pageSize:207']],
    ['pageSize 101', { pageSize: 101 }, ['pageSize:207']],
    ['pageNumber 1.5', { pageNumber: 1.5 }, ['pageNumber:210']],
    ['pageSize a string', { pageSize: 'ten' }, ['pageSize:210']],
    ['both wrong', { pageNumber: -3, pageSize: 500 }, ['pageNumber:209', 'pageSize:207']],
  ])('when %s, then the problems are %j', (_case, input, expected) => {
    expect(problems(() => checkPageRequest(input))).toEqual(expected);
  });
});

describe('a hub id', () => {
  test('when it is a GUID in any case, then it is accepted in lower case', () => {
    expect(checkHubId('3BC1E69F-C520-446F-AB2C-01751FD66A31')).toBe('3bc1e69f-c520-446f-ab2c-01751fd66a31');
  });

  test.each([['not-a-guid'], [''], [42], [null], ['3bc1e69f-c520-446f-ab2c-01751fd66a3']])(
    'when it is %j, then it is refused with 305',
    (hubId) => {
      expect(problems(() => checkHubId(hubId))).toEqual(['hubId:305']);
    },
  );
});
