import {
  ContainerInstanceManagementClient,
  type ContainerInstanceManagementClientOptionalParams,
} from '@azure/arm-containerinstance';
import type { TokenCredential } from '@azure/core-auth';
import { classifyArmError } from './classifyArmError';

/** Live ACI quota figures for one subscription and region; a field is absent when ACI does not report it. */
export interface AciUsage {
  containerGroups?: { current: number; limit: number };
  cores?: { current: number; limit: number };
}

export interface AciCapacityReaderOptions {
  credential: TokenCredential;
  /** ARM endpoint; the offline stack points it at the ACI emulator. */
  endpoint?: string;
  clientOptions?: ContainerInstanceManagementClientOptionalParams;
}

/**
 * Usage names ACI reports from `GET .../providers/Microsoft.ContainerInstance/locations/{location}/usages`
 * (`location.listUsage`): `ContainerGroups` and `StandardCores` are the standard-SKU quotas admission respects.
 */
const GROUPS = 'containergroups';
const CORES = 'standardcores';

/** Reads the ACI Usage API with the official SDK (one client per subscription, SDK retries off as elsewhere). */
export class AciCapacityReader {
  private readonly clients = new Map<string, ContainerInstanceManagementClient>();

  constructor(private readonly options: AciCapacityReaderOptions) {}

  async readUsage(target: { subscriptionId: string; location: string }): Promise<AciUsage | undefined> {
    const usage: AciUsage = {};
    try {
      for await (const item of this.client(target.subscriptionId).location.listUsage(target.location)) {
        const name = item.name?.value?.toLowerCase();
        if (item.currentValue === undefined || item.limit === undefined) continue;
        const figure = { current: item.currentValue, limit: item.limit };
        if (name === GROUPS) usage.containerGroups = figure;
        else if (name === CORES) usage.cores = figure;
      }
    } catch (err) {
      throw classifyArmError(err, `read ACI usage of ${target.subscriptionId} in ${target.location}`);
    }
    return usage.containerGroups || usage.cores ? usage : undefined;
  }

  private client(subscriptionId: string): ContainerInstanceManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      const { clientOptions, endpoint } = this.options;
      client = new ContainerInstanceManagementClient(this.options.credential, subscriptionId, {
        ...clientOptions,
        endpoint: endpoint ?? clientOptions?.endpoint,
        retryOptions: { maxRetries: 0, ...clientOptions?.retryOptions },
      });
      this.clients.set(subscriptionId, client);
    }
    return client;
  }
}
