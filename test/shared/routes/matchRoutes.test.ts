import { globMatches, matchRoutes } from '../../../shared/routes/matchRoutes';

describe('globMatches', () => {
  it.each([
    ['com.example.*', 'com.example.created', true],
    ['com.example.*', 'com.example.', true],
    ['com.example.*', 'com.other.created', false],
    ['*', '', true],
    ['*.created', 'a.b.created', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['exact', 'exact', true],
    ['exact', 'Exact', false],
    ['a.b', 'axb', false],
    ['/storage/(x)+', '/storage/(x)+', true],
    ['line*', 'line1\nline2', true],
  ])('%j vs %j -> %s', (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });
});

describe('matchRoutes', () => {
  const routes = [
    { name: 'all-example', match: { type: 'com.example.*' } },
    { name: 'storage-only', match: { type: 'com.example.*', source: '/storage/*' } },
    { name: 'with-subject', match: { type: '*', subject: 'images/*' } },
    { name: 'other', match: { type: 'org.other' } },
  ];

  it('fans out to every matching route in file order', () => {
    const matched = matchRoutes(routes, {
      type: 'com.example.created',
      source: '/storage/acct',
      subject: 'images/a.png',
    });
    expect(matched.map((r) => r.name)).toEqual(['all-example', 'storage-only', 'with-subject']);
  });

  it('filters on source and subject when given; an event without subject only matches routes not filtering on it', () => {
    expect(
      matchRoutes(routes, { type: 'com.example.created', source: '/queue/x' }).map((r) => r.name),
    ).toEqual(['all-example']);
    expect(
      matchRoutes([{ name: 'any-subject', match: { type: 't', subject: '*' } }], { type: 't', source: 's' }),
    ).toHaveLength(1);
  });

  it('returns nothing when nothing matches', () => {
    expect(matchRoutes(routes, { type: 'net.unknown', source: 's' })).toEqual([]);
  });
});
