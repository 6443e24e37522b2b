import { join } from 'node:path';
import { ConfigError } from '../../../shared/errors/dispatchErrors';
import { loadRoutes } from '../../../shared/routes/loadRoutes';
import { resolveRoutes } from '../../../shared/routes/resolvedRoute';

const routes = loadRoutes(join(__dirname, '..', '..', 'fixtures', 'routes', 'valid.json'));
const SUB = '11111111-2222-3333-4444-555555555555';

describe('resolveRoutes', () => {
  it('fills targets from the defaults, fallbacks from the primary, and converts durations to ms', () => {
    const [thumbnails, audit] = resolveRoutes(routes, {
      subscriptionId: SUB,
      resourceGroup: 'default-rg',
      location: 'eastus',
      jobIdentityId:
        '/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z',
    });
    expect(thumbnails!.targets).toEqual([
      { subscriptionId: SUB, resourceGroup: 'jobs-weu', location: 'westeurope' },
      { subscriptionId: SUB, resourceGroup: 'jobs-weu', location: 'northeurope' },
      { subscriptionId: SUB, resourceGroup: 'jobs-swc', location: 'swedencentral' },
    ]);
    expect(thumbnails!.policy).toEqual({
      timeout: 'PT2H',
      timeoutMs: 7_200_000,
      maxAttempts: 5,
      backoff: { initialMs: 60_000, factor: 3, maxMs: 1_800_000 },
      poll: { initialMs: 10_000, maxMs: 120_000 },
      nonRetryableExitCodes: [2, 64],
      // No fallback given: the larger of poll.max and ten minutes.
      callbackFallbackMs: 600_000,
      concurrency: 4,
      priority: 5,
      capacityWait: 'PT2H',
      capacityWaitMs: 7_200_000,
    });
    expect(thumbnails!.completion).toBe('poll');
    expect(audit!.policy).toMatchObject({ priority: 0, capacityWait: 'PT6H', capacityWaitMs: 21_600_000 });
    expect(audit!.policy.concurrency).toBeUndefined();
    expect(thumbnails!.job.registryServer).toBe('myregistry.azurecr.io');
    expect(thumbnails!.job.identityResourceId).toMatch(/userAssignedIdentities\/z$/);
    expect(audit!.targets).toEqual([
      { subscriptionId: SUB, resourceGroup: 'default-rg', location: 'eastus' },
    ]);
  });

  it('names every route whose target cannot be completed and the setting that would fill it', () => {
    let error: unknown;
    try {
      resolveRoutes(routes, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      'routes[0].target.subscriptionId: not set, and the DISPATCH_DEFAULT_SUBSCRIPTION_ID setting is empty',
      'routes[1].target.subscriptionId: not set, and the DISPATCH_DEFAULT_SUBSCRIPTION_ID setting is empty',
      'routes[1].target.resourceGroup: not set, and the DISPATCH_DEFAULT_RESOURCE_GROUP setting is empty',
      'routes[1].target.location: not set, and the DISPATCH_DEFAULT_LOCATION setting is empty',
    ]);
  });
});
