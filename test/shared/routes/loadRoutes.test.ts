import { join } from 'node:path';
import { ConfigError } from '../../../shared/errors/dispatchErrors';
import { loadRoutes, parseRoutes, validateRoutesFile } from '../../../shared/routes/loadRoutes';

const fixture = (name: string): string => join(__dirname, '..', '..', 'fixtures', 'routes', name);

describe('loadRoutes', () => {
  it('loads a valid file and applies defaults', () => {
    const routes = loadRoutes(fixture('valid.json'));
    expect(routes.map((r) => r.name)).toEqual(['thumbnails', 'audit']);
    const audit = routes[1]!;
    expect(audit.job).toEqual({
      image: 'audit:latest',
      cpu: 1,
      memoryInGB: 1.5,
      env: {},
      secretEnv: {},
      eventDelivery: 'env',
      filePath: '/mnt/dispatch/event.json',
    });
    expect(audit.target).toEqual({ fallbacks: [] });
    expect(audit.policy).toEqual({
      timeout: 'PT1H',
      maxAttempts: 3,
      backoff: { initial: 'PT30S', factor: 2, max: 'PT10M' },
      poll: { initial: 'PT5S', max: 'PT1M' },
      nonRetryableExitCodes: [],
      priority: 0,
      capacityWait: 'PT6H',
    });
    expect(routes[0]!.job.secretEnv).toEqual({
      STORAGE_KEY: { keyVaultSecret: 'thumbnail-storage-key' },
      API_TOKEN: { appSetting: 'THUMBNAILER_API_TOKEN' },
    });
  });

  it('the sample routes.json at the repo root is valid', () => {
    expect(validateRoutesFile(join(__dirname, '..', '..', '..', 'routes.json'))).toEqual({
      ok: true,
      errors: [],
    });
  });

  it('reports EVERY problem, each naming its exact path', () => {
    const result = validateRoutesFile(fixture('invalid-fields.json'));
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^routes\[0\]\.name: expected lower-case letters.*got "Bad_Name"$/),
        expect.stringMatching(/^routes\[0\]\.match\.type: required/),
        expect.stringMatching(/^routes\[0\]\.job\.image: expected a container image reference, got ""$/),
        expect.stringMatching(/^routes\[0\]\.job\.cpu: expected a number of cores, got "2"$/),
        'routes[0].job.memoryInGb: unknown field',
        expect.stringMatching(/^routes\[0\]\.job\.eventDelivery: expected "env" or "file"/),
        expect.stringMatching(/^routes\[0\]\.policy\.timeout: expected an ISO-8601 duration.*got "1 hour"$/),
        expect.stringMatching(/^routes\[0\]\.policy\.maxAttempts: expected at least 1/),
        expect.stringMatching(/^routes\[0\]\.policy\.backoff\.factor: expected a factor >= 1/),
        expect.stringMatching(/^routes\[1\]\.job\.secretEnv\.TOKEN: expected \{ "keyVaultSecret"/),
        expect.stringMatching(/^routes\[1\]\.job\.filePath: expected an absolute file path/),
        expect.stringMatching(/^routes\[1\]\.target\.subscriptionId: expected a subscription id \(GUID\)/),
        expect.stringMatching(/^routes\[1\]\.target\.location: expected an Azure region name/),
        expect.stringMatching(
          /^routes\[1\]\.policy\.nonRetryableExitCodes\[0\]: expected an integer exit code/,
        ),
        expect.stringMatching(/^routes\[1\]\.policy\.concurrency: expected at least 1/),
        expect.stringMatching(/^routes\[1\]\.policy\.priority: expected an integer priority/),
        expect.stringMatching(
          /^routes\[1\]\.policy\.capacityWait: expected an ISO-8601 duration.*got "six hours"$/,
        ),
        'routes[2].extra: unknown field',
        'routes[2].name: duplicate route name "ok-route" (first used by routes[1])',
      ]),
    );
    for (const error of result.errors) expect(error).toMatch(/^routes\[\d\]\.[\w.[\]"]+: /);
  });

  it('runs cross-field checks on routes that parse', () => {
    const result = parseRoutes(
      JSON.stringify({
        routes: [
          {
            name: 'a',
            match: { type: 't' },
            job: { image: 'i', env: { DISPATCH_EVENT: 'x', K: '1' }, secretEnv: { K: { appSetting: 'S' } } },
            policy: { poll: { initial: 'PT2M', max: 'PT1M' }, backoff: { initial: 'PT1H', max: 'PT1M' } },
          },
        ],
      }),
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        'routes[0].policy.backoff.max: must not be shorter than backoff.initial (PT1H)',
        'routes[0].policy.poll.max: must not be shorter than poll.initial (PT2M)',
        'routes[0].job.secretEnv.K: also defined in job.env',
        'routes[0].job.env.DISPATCH_EVENT: reserved, the dispatcher sets it to the event JSON',
      ],
    });
  });

  // .txt: the fixture is deliberately broken JSON, which prettier would otherwise "fix".
  it('reports invalid JSON with line and column', () => {
    expect(validateRoutesFile(fixture('invalid-json.txt'))).toEqual({
      ok: false,
      errors: [
        'invalid JSON at line 3, column 20: unexpected "}", expected a property name in double quotes',
      ],
    });
  });

  it('names the file when it is missing, and throws ConfigError from loadRoutes', () => {
    const missing = fixture('nope.json');
    expect(validateRoutesFile(missing)).toEqual({
      ok: false,
      errors: [`routes file ${missing}: file not found (set DISPATCH_ROUTES_FILE)`],
    });
    expect(() => loadRoutes(fixture('invalid-fields.json'))).toThrow(ConfigError);
    expect(() => loadRoutes(fixture('invalid-fields.json'))).toThrow(
      /invalid-fields\.json is invalid:\n {2}routes\[0\]\.name/,
    );
  });

  it('takes route tags by Azure tag rules, and names a bad one', () => {
    const route = (tags: unknown): string =>
      JSON.stringify({ routes: [{ name: 'r', match: { type: 't' }, job: { image: 'i' }, tags }] });
    const ok = parseRoutes(route({ costCentre: 'cc-42', 'team name': 'a b' }));
    expect(ok.ok && ok.routes[0]!.tags).toEqual({ costCentre: 'cc-42', 'team name': 'a b' });
    const bad = parseRoutes(
      route({ 'a/b': 'x', 'dispatcher-route': 'x', azureThing: 'x', long: 'v'.repeat(257) }),
    );
    expect(bad.ok).toBe(false);
    const errors = bad.ok ? [] : bad.errors.join('\n');
    expect(errors).toMatch(/routes\[0\]\.tags.*without < > % & \\ \? \//);
    expect(errors).toMatch(/reserved/);
    expect(errors).toMatch(/routes\[0\]\.tags\.long: expected a tag value of at most 256 characters/);
    const many = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`t${i}`, 'v']));
    expect(parseRoutes(route(many))).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/at most 45 tags/)],
    });
  });

  it('rejects a file that is not { "routes": [...] }', () => {
    expect(parseRoutes('[]')).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^\(root\): /) as unknown],
    });
    expect(parseRoutes('{"routes": {}}')).toEqual({
      ok: false,
      errors: ['routes: expected an array of routes, got an object'],
    });
    expect(parseRoutes('{"routes": [{"name": "x".repeat}]}').ok).toBe(false);
  });

  it('rejects names that are too long for instance ids', () => {
    const result = parseRoutes(
      JSON.stringify({ routes: [{ name: 'a'.repeat(41), match: { type: 't' }, job: { image: 'i' } }] }),
    );
    expect(result).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^routes\[0\]\.name: expected at most 40 characters/) as unknown],
    });
  });
});

describe('reserved variables', () => {
  it('reserves DISPATCH_EVENT_FILE when the event is delivered as a file', () => {
    const result = parseRoutes(
      JSON.stringify({
        routes: [
          {
            name: 'f',
            match: { type: 't' },
            job: { image: 'i', eventDelivery: 'file', env: { DISPATCH_EVENT_FILE: '/x' } },
          },
        ],
      }),
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        'routes[0].job.env.DISPATCH_EVENT_FILE: reserved, the dispatcher sets it to the path of the event file',
      ],
    });
  });
});

describe('job.outputFile', () => {
  const parse = (job: Record<string, unknown>): ReturnType<typeof parseRoutes> =>
    parseRoutes(
      JSON.stringify({ routes: [{ name: 'o', match: { type: 't' }, job: { image: 'i', ...job } }] }),
    );

  it('is taken with a command, and resolved into the route', () => {
    const result = parse({ command: ['run'], outputFile: '/mnt/out/result.json' });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.routes[0]!.job.outputFile).toBe('/mnt/out/result.json');
  });

  it('needs a command, a directory of its own, and reserves DISPATCH_OUTPUT_FILE', () => {
    expect(parse({ outputFile: '/mnt/out/result.json', env: { DISPATCH_OUTPUT_FILE: '/x' } })).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(/^routes\[0\]\.job\.outputFile: needs job\.command \(/) as unknown,
        'routes[0].job.env.DISPATCH_OUTPUT_FILE: reserved, the dispatcher sets it to the path of the output file',
      ],
    });
    expect(
      parse({
        command: ['run'],
        eventDelivery: 'file',
        filePath: '/mnt/d/e.json',
        outputFile: '/mnt/d/o.json',
      }),
    ).toEqual({
      ok: false,
      errors: ["routes[0].job.outputFile: must not be in the event file's directory (/mnt/d, read-only)"],
    });
    expect(parse({ command: ['run'], outputFile: 'out.json' })).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(/^routes\[0\]\.job\.outputFile: expected an absolute file path/) as unknown,
      ],
    });
    // Caught when the routes load, not when each event's job is built (which would dead-letter them all).
    for (const outputFile of ['/mnt/d/./o.json', '/mnt/d/../e/o.json'])
      expect(parse({ command: ['run'], outputFile })).toEqual({
        ok: false,
        errors: [
          `routes[0].job.outputFile: expected a path without "." or ".." segments, got "${outputFile}"`,
        ],
      });
  });
});
