import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The emulator reads the same `Config.json` as Microsoft's Service Bus emulator
 * (schema: Azure/azure-service-bus-emulator-installer, ServiceBus-Emulator/Schema/Config-schema.json).
 * Objects are strict: an unknown or misspelt property is an error naming its path, because a typo such as
 * `MaxDeliveryCont` would otherwise silently fall back to a default.
 */
export class EmulatorConfigError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'EmulatorConfigError';
  }
}

const ISO_DURATION =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** ISO-8601 duration to milliseconds. Years count as 365 days and months as 30, as .NET's XmlConvert does. */
export function parseIsoDurationMs(value: string): number | undefined {
  const match = ISO_DURATION.exec(value);
  if (!match) return undefined;
  const n = (i: number): number => Number(match[i] ?? 0);
  const days = n(1) * 365 + n(2) * 30 + n(3) * 7 + n(4);
  return ((days * 24 + n(5)) * 60 + n(6)) * 60_000 + Math.round(n(7) * 1000);
}

const entityName = z
  .string()
  .regex(
    /^[A-Za-z0-9]$|^[A-Za-z0-9][\w\-./]*[A-Za-z0-9]$/,
    'expected an entity name (letters, digits, . - _ /)',
  );
const forwardName = z.union([z.literal(''), entityName]);
const duration = z.string().refine((v) => {
  const ms = parseIsoDurationMs(v);
  return ms !== undefined && ms > 0;
}, 'expected an ISO-8601 duration such as PT30S or PT1H');

const queueProperties = z.strictObject({
  DeadLetteringOnMessageExpiration: z.boolean().optional(),
  DefaultMessageTimeToLive: duration.optional(),
  DuplicateDetectionHistoryTimeWindow: duration.optional(),
  ForwardDeadLetteredMessagesTo: forwardName.optional(),
  ForwardTo: forwardName.optional(),
  LockDuration: duration.optional(),
  MaxDeliveryCount: z.number().int().min(1).optional(),
  RequiresDuplicateDetection: z.boolean().optional(),
  RequiresSession: z.boolean().optional(),
});

const topicProperties = z.strictObject({
  DefaultMessageTimeToLive: duration.optional(),
  DuplicateDetectionHistoryTimeWindow: duration.optional(),
  RequiresDuplicateDetection: z.boolean().optional(),
});

const subscriptionProperties = z.strictObject({
  DeadLetteringOnMessageExpiration: z.boolean().optional(),
  DefaultMessageTimeToLive: duration.optional(),
  LockDuration: duration.optional(),
  MaxDeliveryCount: z.number().int().min(1).optional(),
  ForwardDeadLetteredMessagesTo: forwardName.optional(),
  ForwardTo: forwardName.optional(),
  RequiresSession: z.boolean().optional(),
});

const correlationFilter = z.strictObject({
  ContentType: z.string().optional(),
  CorrelationId: z.string().optional(),
  Label: z.string().optional(),
  MessageId: z.string().optional(),
  ReplyTo: z.string().optional(),
  ReplyToSessionId: z.string().optional(),
  SessionId: z.string().optional(),
  To: z.string().optional(),
  Properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

// Only constant SQL expressions are understood; anything else fails loudly rather than matching everything.
const sqlConstant = z
  .string()
  .refine(
    (v) => /^\s*1\s*=\s*[01]\s*$/.test(v) || /^\s*(true|false)\s*$/i.test(v),
    'only the constant SQL filters 1=1 and 1=0 are supported by this emulator; use a Correlation filter',
  );

const ruleProperties = z
  .strictObject({
    FilterType: z.enum(['Correlation', 'Sql']),
    CorrelationFilter: correlationFilter.optional(),
    SqlFilter: z.strictObject({ SqlExpression: sqlConstant }).optional(),
    Action: z
      .strictObject({
        SqlExpression: z
          .string()
          .refine((v) => v.trim() === '', 'rule actions are not supported by this emulator'),
      })
      .optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.FilterType === 'Correlation' && !rule.CorrelationFilter) {
      ctx.addIssue({
        code: 'custom',
        path: ['CorrelationFilter'],
        message: 'required when FilterType is Correlation',
      });
    }
    if (rule.FilterType === 'Sql' && !rule.SqlFilter) {
      ctx.addIssue({ code: 'custom', path: ['SqlFilter'], message: 'required when FilterType is Sql' });
    }
  });

const subscription = z.strictObject({
  Name: entityName,
  Properties: subscriptionProperties.optional(),
  Rules: z.array(z.strictObject({ Name: entityName, Properties: ruleProperties })).optional(),
});

const namespace = z.strictObject({
  Name: entityName,
  Queues: z.array(z.strictObject({ Name: entityName, Properties: queueProperties.optional() })).default([]),
  Topics: z
    .array(
      z.strictObject({
        Name: entityName,
        Properties: topicProperties.optional(),
        Subscriptions: z.array(subscription),
      }),
    )
    .default([]),
});

const configSchema = z.strictObject({
  UserConfig: z.strictObject({
    Namespaces: z.array(namespace).length(1, 'expected exactly one namespace, as the official emulator does'),
    // Accepted for compatibility with the official file; output goes to the `log` option instead.
    Logging: z.strictObject({ Type: z.enum(['File', 'Console', 'File,Console', 'Console,File']) }).optional(),
  }),
});

/**
 * A validated `Config.json` object, same shape as the file. `Queues` and `Topics` are required here as in
 * the official schema (the loader tolerates their absence in a file and fills in empty lists).
 */
export type EmulatorConfig = z.output<typeof configSchema>;
export type EmulatorRuleProperties = z.output<typeof ruleProperties>;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown property`).join('\n');
  }
  if (issue.code === 'invalid_type') {
    return `${formatPath(issue.path)}: expected ${issue.expected}`;
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EmulatorConfigError(
      `${path}: cannot read the Service Bus emulator config: ${(err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (err) {
    const offset = jsonErrorOffset(text.replace(/^\uFEFF/, ''));
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    throw new EmulatorConfigError(
      `${path} (line ${line}, column ${column}): invalid JSON: ${(err as Error).message}`,
    );
  }
}

class JsonSyntaxError extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

/**
 * Offset of the first JSON syntax error. Node 20's JSON.parse does not always say where it failed, and
 * "invalid JSON somewhere in Config.json" is not an error message anyone can act on.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxError(i);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = (): void => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err.offset;
    throw err;
  }
  return text.length;
}

function checkReferences(config: EmulatorConfig): string[] {
  const problems: string[] = [];
  const ns = config.UserConfig.Namespaces[0];
  if (!ns) return problems;
  const seen = new Map<string, string>();
  const claim = (name: string, path: string): void => {
    const key = name.toLowerCase();
    const previous = seen.get(key);
    if (previous) problems.push(`${path}: entity name '${name}' is already used by ${previous}`);
    else seen.set(key, path);
  };
  ns.Queues.forEach((q, i) => claim(q.Name, `UserConfig.Namespaces[0].Queues[${i}].Name`));
  ns.Topics.forEach((t, i) => claim(t.Name, `UserConfig.Namespaces[0].Topics[${i}].Name`));
  const checkForward = (target: string | undefined, path: string): void => {
    if (target && !seen.has(target.toLowerCase())) {
      problems.push(`${path}: '${target}' is not a queue or topic in this config`);
    }
  };
  ns.Queues.forEach((q, i) => {
    const base = `UserConfig.Namespaces[0].Queues[${i}].Properties`;
    if (q.Properties?.RequiresSession)
      problems.push(`${base}.RequiresSession: sessions are not supported by this emulator`);
    checkForward(q.Properties?.ForwardTo, `${base}.ForwardTo`);
    checkForward(q.Properties?.ForwardDeadLetteredMessagesTo, `${base}.ForwardDeadLetteredMessagesTo`);
    if (q.Properties?.ForwardTo?.toLowerCase() === q.Name.toLowerCase()) {
      problems.push(`${base}.ForwardTo: a queue cannot forward to itself`);
    }
  });
  ns.Topics.forEach((t, i) => {
    const subs = new Set<string>();
    t.Subscriptions.forEach((s, j) => {
      const base = `UserConfig.Namespaces[0].Topics[${i}].Subscriptions[${j}]`;
      if (s.Properties?.RequiresSession) {
        problems.push(`${base}.Properties.RequiresSession: sessions are not supported by this emulator`);
      }
      if (subs.has(s.Name.toLowerCase())) problems.push(`${base}.Name: duplicate subscription '${s.Name}'`);
      subs.add(s.Name.toLowerCase());
      checkForward(s.Properties?.ForwardTo, `${base}.Properties.ForwardTo`);
      checkForward(
        s.Properties?.ForwardDeadLetteredMessagesTo,
        `${base}.Properties.ForwardDeadLetteredMessagesTo`,
      );
      if (s.Properties?.ForwardTo?.toLowerCase() === t.Name.toLowerCase()) {
        problems.push(`${base}.Properties.ForwardTo: a subscription cannot forward to its own topic`);
      }
    });
  });
  return problems;
}

/**
 * Reads and validates an emulator config from a file path or an already-parsed object.
 * Every problem is reported with its exact path, e.g.
 * `UserConfig.Namespaces[0].Queues[1].Properties.LockDuration: expected an ISO-8601 duration ...`.
 */
// The published signature spells out `string` so callers see that a file path is accepted.
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
export function loadEmulatorConfig(pathOrObject: string | unknown): EmulatorConfig {
  const source = typeof pathOrObject === 'string' ? pathOrObject : 'config object';
  const raw = typeof pathOrObject === 'string' ? readJsonFile(pathOrObject) : pathOrObject;
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((i) => issueMessage(i).split('\n'));
    throw new EmulatorConfigError(
      `Invalid Service Bus emulator config (${source}):\n  ${issues.join('\n  ')}`,
      issues,
    );
  }
  const problems = checkReferences(parsed.data);
  if (problems.length > 0) {
    throw new EmulatorConfigError(
      `Invalid Service Bus emulator config (${source}):\n  ${problems.join('\n  ')}`,
      problems,
    );
  }
  return parsed.data;
}
