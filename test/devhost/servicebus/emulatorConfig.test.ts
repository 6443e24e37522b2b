import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmulatorConfigError,
  loadEmulatorConfig,
  parseIsoDurationMs,
} from '../../../devhost/servicebus/emulatorConfig';

// The sample Config.json shipped with Microsoft's emulator (Azure/azure-service-bus-emulator-installer).
const officialSample = {
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Queues: [
          {
            Name: 'queue.1',
            Properties: {
              DeadLetteringOnMessageExpiration: false,
              DefaultMessageTimeToLive: 'PT1H',
              DuplicateDetectionHistoryTimeWindow: 'PT20S',
              ForwardDeadLetteredMessagesTo: '',
              ForwardTo: '',
              LockDuration: 'PT1M',
              MaxDeliveryCount: 3,
              RequiresDuplicateDetection: false,
              RequiresSession: false,
            },
          },
        ],
        Topics: [
          {
            Name: 'topic.1',
            Properties: {
              DefaultMessageTimeToLive: 'PT1H',
              DuplicateDetectionHistoryTimeWindow: 'PT20S',
              RequiresDuplicateDetection: false,
            },
            Subscriptions: [
              {
                Name: 'subscription.1',
                Properties: {
                  DeadLetteringOnMessageExpiration: false,
                  DefaultMessageTimeToLive: 'PT1H',
                  LockDuration: 'PT1M',
                  MaxDeliveryCount: 3,
                  ForwardDeadLetteredMessagesTo: '',
                  ForwardTo: '',
                  RequiresSession: false,
                },
                Rules: [
                  {
                    Name: 'app-prop-filter-1',
                    Properties: {
                      FilterType: 'Correlation',
                      CorrelationFilter: {
                        ContentType: 'application/text',
                        CorrelationId: 'id1',
                        Label: 'subject1',
                        MessageId: 'msgid1',
                        ReplyTo: 'someQueue',
                        ReplyToSessionId: 'sessionId',
                        SessionId: 'session1',
                        To: 'xyz',
                      },
                    },
                  },
                ],
              },
              {
                Name: 'subscription.2',
                Rules: [
                  {
                    Name: 'user-prop-filter-1',
                    Properties: {
                      FilterType: 'Correlation',
                      CorrelationFilter: { Properties: { prop3: 'value3' } },
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    Logging: { Type: 'File' },
  },
};

function errorOf(input: unknown): EmulatorConfigError {
  try {
    loadEmulatorConfig(input);
  } catch (err) {
    if (err instanceof EmulatorConfigError) return err;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

function withQueueProperties(props: Record<string, unknown>): unknown {
  const copy = structuredClone(officialSample) as {
    UserConfig: { Namespaces: { Queues: { Properties: object }[] }[] };
  };
  copy.UserConfig.Namespaces[0]!.Queues.push({ Name: 'second', Properties: props } as never);
  return copy;
}

describe('loadEmulatorConfig', () => {
  test("accepts the official emulator's sample Config.json", () => {
    const config = loadEmulatorConfig(officialSample);
    expect(config.UserConfig.Namespaces[0]!.Queues[0]!.Name).toBe('queue.1');
    expect(config.UserConfig.Namespaces[0]!.Topics[0]!.Subscriptions).toHaveLength(2);
  });

  test('names the exact path of a bad duration', () => {
    const err = errorOf(withQueueProperties({ LockDuration: '30 seconds' }));
    expect(err.issues).toEqual([
      'UserConfig.Namespaces[0].Queues[1].Properties.LockDuration: expected an ISO-8601 duration such as PT30S or PT1H',
    ]);
  });

  test('rejects misspelt properties with their path', () => {
    const err = errorOf(withQueueProperties({ MaxDeliveryCont: 5 }));
    expect(err.message).toContain(
      'UserConfig.Namespaces[0].Queues[1].Properties.MaxDeliveryCont: unknown property',
    );
  });

  test('reports wrong types and missing required fields', () => {
    const err = errorOf(withQueueProperties({ MaxDeliveryCount: '5', RequiresSession: 'no' }));
    expect(err.issues).toEqual(
      expect.arrayContaining([
        'UserConfig.Namespaces[0].Queues[1].Properties.MaxDeliveryCount: expected number',
        'UserConfig.Namespaces[0].Queues[1].Properties.RequiresSession: expected boolean',
      ]),
    );
    expect(errorOf({}).issues).toEqual(['UserConfig: expected object']);
  });

  test('rejects sessions, which the emulator does not implement', () => {
    expect(errorOf(withQueueProperties({ RequiresSession: true })).issues).toEqual([
      'UserConfig.Namespaces[0].Queues[1].Properties.RequiresSession: sessions are not supported by this emulator',
    ]);
  });

  test('checks ForwardTo targets and duplicate names', () => {
    const err = errorOf(withQueueProperties({ ForwardTo: 'nowhere' }));
    expect(err.issues).toEqual([
      "UserConfig.Namespaces[0].Queues[1].Properties.ForwardTo: 'nowhere' is not a queue or topic in this config",
    ]);
    const dup = structuredClone(officialSample) as {
      UserConfig: { Namespaces: { Queues: { Name: string }[] }[] };
    };
    dup.UserConfig.Namespaces[0]!.Queues.push({ Name: 'Queue.1' });
    expect(errorOf(dup).issues[0]).toMatch(
      /^UserConfig\.Namespaces\[0\]\.Queues\[1\]\.Name: entity name 'Queue\.1' is already used/,
    );
  });

  test('refuses SQL filters it cannot evaluate instead of matching everything', () => {
    const cfg = structuredClone(officialSample);
    const rules = cfg.UserConfig.Namespaces[0]!.Topics[0]!.Subscriptions[1]!.Rules as unknown[];
    rules.push({
      Name: 'sql',
      Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: "sys.Label = 'x'" } },
    });
    expect(errorOf(cfg).issues[0]).toMatch(
      /^UserConfig\.Namespaces\[0\]\.Topics\[0\]\.Subscriptions\[1\]\.Rules\[1\]\.Properties\.SqlFilter\.SqlExpression: only the constant SQL filters/,
    );
  });

  test('reads a file and reports bad JSON with file, line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbconfig-'));
    try {
      const good = join(dir, 'Config.json');
      writeFileSync(good, JSON.stringify(officialSample));
      expect(loadEmulatorConfig(good).UserConfig.Namespaces[0]!.Name).toBe('sbemulatorns');
      const bad = join(dir, 'Bad.json');
      writeFileSync(bad, '{\n  "UserConfig": {\n    "Namespaces": [,]\n  }\n}');
      const err = errorOf(bad);
      expect(err.message).toContain(bad);
      expect(err.message).toContain('(line 3, column 20)');
      expect(errorOf(join(dir, 'missing.json')).message).toContain('cannot read');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('parses ISO-8601 durations', () => {
    expect(parseIsoDurationMs('PT1M')).toBe(60_000);
    expect(parseIsoDurationMs('PT0.5S')).toBe(500);
    expect(parseIsoDurationMs('P1DT1H')).toBe(90_000_000);
    expect(parseIsoDurationMs('P')).toBeUndefined();
    expect(parseIsoDurationMs('PT')).toBeUndefined();
    expect(parseIsoDurationMs('1h')).toBeUndefined();
  });
});
