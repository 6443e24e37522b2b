import { z } from 'zod';
import { tryParseIsoDuration } from '../policy/isoDuration';

/**
 * The routes file: `{ "routes": [ ... ] }`. Objects are strict so a typo (`memoryInGb`) is an error rather
 * than a silently ignored field. Defaults are applied here, so a parsed route is complete.
 */

/** Route names become part of instance ids and container group names (<= 63 chars), hence the length cap. */
export const MAX_ROUTE_NAME_LENGTH = 40;
export const ROUTE_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const DEFAULT_EVENT_FILE_PATH = '/mnt/dispatch/event.json';
/** Default `policy.capacityWait`: a burst may wait this long for room in ACI before it is dead-lettered. */
export const DEFAULT_CAPACITY_WAIT = 'PT6H';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isoDuration = z
  .string({ error: 'expected an ISO-8601 duration string such as "PT30S"' })
  .superRefine((text, ctx) => {
    const parsed = tryParseIsoDuration(text);
    if (!parsed.ok)
      ctx.addIssue({ code: 'custom', message: parsed.message.replace(/^expected/, 'expected') });
    else if (parsed.ms <= 0)
      ctx.addIssue({ code: 'custom', message: `expected a duration greater than zero, got "${text}"` });
  });

const nonEmpty = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}, got ""` });

const glob = nonEmpty('a non-empty string (a `*` glob)');

/**
 * Where a secret environment variable's value comes from. `keyVaultSecret` is a secret name in KEY_VAULT_URI's
 * vault or a full secret URI (`https://<vault>.vault.azure.net/secrets/<name>[/<version>]`); `appSetting` names a
 * Function App setting (itself possibly a Key Vault reference). Values are resolved by the job activity,
 * never written to orchestration history or logs.
 */
export const secretReferenceSchema = z.union(
  [
    z.strictObject({ keyVaultSecret: nonEmpty('a Key Vault secret name or secret URI') }),
    z.strictObject({ appSetting: z.string().regex(ENV_NAME, { error: 'expected an app setting name' }) }),
  ],
  { error: 'expected { "keyVaultSecret": "<secret name or URI>" } or { "appSetting": "<setting name>" }' },
);

/**
 * Azure tag rules (Resource Manager): at most 50 tags a resource, names up to 512 characters without
 * `< > % & \\ ? /`, values up to 256 characters; names starting with `microsoft`, `azure` or `windows` are
 * reserved by Azure, `dispatcher-` by the dispatcher's own tags (JobTag, 5 of the 50).
 */
export const MAX_ROUTE_TAGS = 45;
const tagValue = z
  .string({ error: 'expected a string tag value' })
  .max(256, { error: 'expected a tag value of at most 256 characters' });
/** Names are checked here rather than by a key schema, whose errors would not say what is wrong. */
const routeTags = z
  .record(z.string(), tagValue)
  .superRefine((tags, ctx) => {
    const names = Object.keys(tags);
    if (names.length > MAX_ROUTE_TAGS) {
      ctx.addIssue({
        code: 'custom',
        message: `expected at most ${MAX_ROUTE_TAGS} tags (Azure allows 50 a resource; the dispatcher writes 5), got ${names.length}`,
      });
    }
    for (const name of names) {
      const problem =
        name === ''
          ? 'expected a non-empty tag name'
          : name.length > 512
            ? 'expected a tag name of at most 512 characters'
            : /[<>%&\\?/]/.test(name)
              ? 'expected a tag name without < > % & \\ ? /'
              : /^(microsoft|azure|windows|dispatcher-)/i.test(name)
                ? 'tag names starting with microsoft, azure, windows or dispatcher- are reserved'
                : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  })
  .default({});

const targetFields = {
  subscriptionId: z
    .string()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
      error: 'expected a subscription id (GUID)',
    })
    .optional(),
  resourceGroup: z
    .string()
    .regex(/^[-\w.()]{1,89}[-\w()]$|^[-\w()]$/, { error: 'expected a resource group name' })
    .optional(),
  location: z
    .string()
    .regex(/^[a-z0-9]+$/, {
      error: 'expected an Azure region name such as "westeurope" (lower-case, no spaces)',
    })
    .optional(),
};

export const targetSchema = z.strictObject({
  ...targetFields,
  /** Tried in order when the primary (or the previous fallback) answers with capacity/quota errors. */
  fallbacks: z.array(z.strictObject(targetFields)).default([]),
});

export const routeSchema = z.strictObject({
  name: z
    .string({ error: 'expected a route name' })
    .max(MAX_ROUTE_NAME_LENGTH, { error: `expected at most ${MAX_ROUTE_NAME_LENGTH} characters` })
    .regex(ROUTE_NAME_PATTERN, {
      error:
        'expected lower-case letters, digits and single hyphens ([a-z0-9-]), not starting or ending with "-"',
    }),
  description: z.string().optional(),
  /** Written on the route's container groups, so Cost Management can split the ACI bill (e.g. a cost centre). */
  tags: routeTags,
  match: z.strictObject({
    type: glob,
    source: glob.optional(),
    subject: glob.optional(),
  }),
  job: z.strictObject({
    image: nonEmpty('a container image reference').regex(/^\S*$/, {
      error: 'expected an image reference without spaces',
    }),
    command: z
      .array(z.string(), { error: 'expected an array of strings' })
      .min(1, { error: 'expected at least one element' })
      .optional(),
    cpu: z
      .number({ error: 'expected a number of cores' })
      .positive({ error: 'expected a number greater than 0' })
      .max(4, { error: 'expected at most 4 cores (ACI limit)' })
      .default(1),
    memoryInGB: z
      .number({ error: 'expected a number of GB' })
      .positive({ error: 'expected a number greater than 0' })
      .max(16, { error: 'expected at most 16 GB (ACI limit)' })
      .default(1.5),
    env: z
      .record(
        z.string().regex(ENV_NAME, { error: 'expected an environment variable name' }),
        z.string({ error: 'expected a string value' }),
      )
      .default({}),
    secretEnv: z
      .record(
        z.string().regex(ENV_NAME, { error: 'expected an environment variable name' }),
        secretReferenceSchema,
      )
      .default({}),
    eventDelivery: z.enum(['env', 'file'], { error: 'expected "env" or "file"' }).default('env'),
    filePath: z
      .string()
      .regex(/^\/(?:[^/\0:]+\/)+[^/\0:]+$/, {
        error: 'expected an absolute file path inside a directory, e.g. /mnt/dispatch/event.json',
      })
      .default(DEFAULT_EVENT_FILE_PATH),
    /**
     * Where the job may write its output (JSON, at most 64 KB): set as DISPATCH_OUTPUT_FILE and read back from the
     * end of the job's log. Needs `command` (the dispatcher wraps it); unset = no output file.
     */
    outputFile: z
      .string()
      .regex(/^\/(?:[^/\0:]+\/)+[^/\0:]+$/, {
        error: 'expected an absolute file path inside a directory, e.g. /mnt/dispatch-output/output.json',
      })
      // `.` and `..` segments would move the file (or its volume) once the path is normalised for ACI.
      .refine((path) => !path.split('/').some((segment) => segment === '.' || segment === '..'), {
        error: 'expected a path without "." or ".." segments',
      })
      .optional(),
    registry: z
      .strictObject({
        server: nonEmpty('a registry login server such as "myregistry.azurecr.io"'),
        /** User-assigned identity resource id used to pull; defaults to DISPATCH_JOB_IDENTITY_ID. */
        identity: z
          .string()
          .regex(/^\/subscriptions\/.+\/userAssignedIdentities\/[^/]+$/i, {
            error: 'expected a user-assigned identity resource id',
          })
          .optional(),
      })
      .optional(),
  }),
  /**
   * How the dispatcher learns that the job ended: `poll` (status reads at growing intervals) or `callback` (the
   * job POSTs to DISPATCH_CALLBACK_URL; polling continues at the route's max interval as the fallback).
   */
  completion: z.enum(['poll', 'callback'], { error: 'expected "poll" or "callback"' }).default('poll'),
  target: targetSchema.default({ fallbacks: [] }),
  policy: z
    .strictObject({
      timeout: isoDuration.default('PT1H'),
      maxAttempts: z
        .number({ error: 'expected an integer' })
        .int({ error: 'expected an integer' })
        .min(1, { error: 'expected at least 1' })
        .max(100, { error: 'expected at most 100' })
        .default(3),
      backoff: z
        .strictObject({
          initial: isoDuration.default('PT30S'),
          factor: z
            .number({ error: 'expected a number' })
            .min(1, { error: 'expected a factor >= 1' })
            .max(10, { error: 'expected a factor <= 10' })
            .default(2),
          max: isoDuration.default('PT10M'),
        })
        .default({ initial: 'PT30S', factor: 2, max: 'PT10M' }),
      poll: z
        .strictObject({
          initial: isoDuration.default('PT5S'),
          max: isoDuration.default('PT1M'),
          /** Callback routes only: the safety-net poll interval; default the larger of `max` and PT10M. */
          fallback: isoDuration.optional(),
        })
        .default({ initial: 'PT5S', max: 'PT1M' }),
      nonRetryableExitCodes: z
        .array(z.number().int({ error: 'expected an integer exit code' }), {
          error: 'expected an array of integer exit codes',
        })
        .default([]),
      /** At most this many jobs of the route hold capacity at once (over all its targets); unset = no cap. */
      concurrency: z
        .number({ error: 'expected an integer number of jobs' })
        .int({ error: 'expected an integer number of jobs' })
        .min(1, { error: 'expected at least 1' })
        .max(10_000, { error: 'expected at most 10000' })
        .optional(),
      /** Waiting requests of higher priority are admitted first; equal priorities by arrival. */
      priority: z
        .number({ error: 'expected an integer priority' })
        .int({ error: 'expected an integer priority' })
        .min(-100, { error: 'expected at least -100' })
        .max(100, { error: 'expected at most 100' })
        .default(0),
      /** How long an attempt may wait for capacity before it is dead-lettered CapacityExhausted. */
      capacityWait: isoDuration.default(DEFAULT_CAPACITY_WAIT),
    })
    .default({
      timeout: 'PT1H',
      maxAttempts: 3,
      backoff: { initial: 'PT30S', factor: 2, max: 'PT10M' },
      poll: { initial: 'PT5S', max: 'PT1M' },
      nonRetryableExitCodes: [],
      priority: 0,
      capacityWait: DEFAULT_CAPACITY_WAIT,
    }),
});

export const routesFileSchema = z.strictObject({
  $schema: z.string().optional(),
  routes: z.array(routeSchema, { error: 'expected an array of routes' }),
});

export type SecretReference = z.infer<typeof secretReferenceSchema>;
export type RouteDefinition = z.infer<typeof routeSchema>;
export type RoutesFile = z.infer<typeof routesFileSchema>;
