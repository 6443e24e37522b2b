import {
  ContainerInstanceManagementClient,
  type ContainerGroup,
  type ContainerInstanceManagementClientOptionalParams,
} from '@azure/arm-containerinstance';
import type { TokenCredential } from '@azure/core-auth';
import { isRestError } from '@azure/core-rest-pipeline';
import { PermanentProviderError } from '../../shared/errors/dispatchErrors';
import type { CreatedJob, JobProvider, JobSpec, JobStatus, JobTarget } from './jobProvider';
import type { JobGroup, JobInventory } from './jobInventory';
import { silentLogger, type AdapterLogger } from '../adapterLogger';
import { buildContainerGroup, jobContainerName } from './buildContainerGroup';
import { classifyArmError, isArmNotFound } from './classifyArmError';
import { mapContainerGroupStatus } from './mapContainerGroupStatus';

export interface AciJobProviderOptions {
  /** ARM credential (managed identity in Azure, the static emulator credential offline). */
  credential: TokenCredential;
  /** ARM endpoint; default `https://management.azure.com`. The offline stack points it at the ACI emulator. */
  endpoint?: string;
  /**
   * Extra SDK client options. By default the SDK's own retries are OFF (`retryOptions.maxRetries: 0`): the
   * orchestration retries durably with capped backoff and honours Retry-After through `retryAfterMs`, so
   * an activity never sleeps inside the SDK (its throttling policy would wait out any Retry-After in-process).
   */
  clientOptions?: ContainerInstanceManagementClientOptionalParams;
  /** Resource id of the user-assigned identity job groups run as (DISPATCH_JOB_IDENTITY_ID). */
  identityResourceId?: string;
  logger?: AdapterLogger;
  /**
   * How long create() follows ACI's provisioning LRO before handing over to status() polling. Waiting a
   * little catches asynchronous capacity failures (so the orchestration can move to a fallback target)
   * without tying an activity to a long image pull. Default 60 s.
   */
  provisioningWaitMs?: number;
  /** LRO poll interval for create/delete; default: what the service says, else the SDK's 2 s. */
  pollIntervalMs?: number;
}

/** Runs each job as an Azure Container Instances container group named after the job. */
export class AciJobProvider implements JobProvider, JobInventory {
  private readonly clients = new Map<string, ContainerInstanceManagementClient>();
  private readonly logger: AdapterLogger;
  private readonly provisioningWaitMs: number;

  constructor(private readonly options: AciJobProviderOptions) {
    this.logger = options.logger ?? silentLogger;
    this.provisioningWaitMs = options.provisioningWaitMs ?? 60_000;
  }

  async create(spec: JobSpec, target: JobTarget): Promise<CreatedJob> {
    const client = this.client(target);
    const where = `container group ${spec.name} in ${target.resourceGroup} (${target.location})`;

    const existing = await this.tryGet(client, spec.name, target, `create ${where}: look up existing group`);
    if (existing) {
      if (existing.provisioningState?.toLowerCase() !== 'failed') {
        this.logger.info(
          `reusing existing ${where} (provisioningState ${existing.provisioningState ?? 'unknown'})`,
        );
        return { target, reused: true };
      }
      // Left behind by an earlier attempt whose provisioning failed (e.g. capacity): it never ran, so it is
      // replaced rather than reported as the job.
      this.logger.warn(`replacing ${where}: its provisioning had failed`);
      await this.delete(spec.name, target);
    }

    const group = buildContainerGroup(spec, target, this.options.identityResourceId);
    const operation = `create ${where}`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.provisioningWaitMs);
    let accepted = false;
    try {
      const poller = await client.containerGroups.beginCreateOrUpdate(
        target.resourceGroup,
        spec.name,
        group,
        {
          updateIntervalInMs: this.options.pollIntervalMs,
        },
      );
      accepted = true;
      this.logger.info(`created ${where} for route ${spec.route}, attempt ${spec.attempt}`);
      await poller.pollUntilDone({ abortSignal: abort.signal });
    } catch (err) {
      if (accepted && abort.signal.aborted) {
        // Still provisioning (a long pull): the group exists, status() polling takes over from here.
        return { target, reused: false };
      }
      if (isRestError(err) && err.request?.method !== 'PUT') {
        // The PUT was accepted; only watching its provisioning failed (a GET blip). status() will tell.
        this.logger.warn(
          `created ${where}, but following its provisioning failed: ${classifyArmError(err, operation).message}`,
        );
        return { target, reused: false };
      }
      const classified = classifyArmError(err, operation);
      if (!isRestError(err)) {
        // Provisioning failed asynchronously: the group exists in state Failed and would otherwise be
        // "reused" by the retry. Remove it first (best effort; create() replaces Failed groups anyway).
        await this.delete(spec.name, target).catch((deleteErr: unknown) =>
          this.logger.warn(
            `could not remove failed ${where}: ${classifyArmError(deleteErr, 'delete').message}`,
          ),
        );
      }
      throw classified;
    } finally {
      clearTimeout(timer);
    }
    return { target, reused: false };
  }

  async status(name: string, target: JobTarget): Promise<JobStatus> {
    const client = this.client(target);
    const group = await this.tryGet(
      client,
      name,
      target,
      `status of container group ${name} in ${target.resourceGroup}`,
    );
    if (!group) {
      // Deleted behind our back: the job cannot finish, but another attempt may.
      return {
        state: 'Failed',
        missing: true,
        detail: `container group ${name} not found in ${target.resourceGroup}`,
      };
    }
    return mapContainerGroupStatus(group);
  }

  async logs(name: string, target: JobTarget, tailLines?: number): Promise<string> {
    if (tailLines !== undefined && (!Number.isInteger(tailLines) || tailLines < 1)) {
      throw new PermanentProviderError(
        `logs of ${name}: tailLines must be a positive integer, got ${tailLines}`,
        'InvalidArgument',
      );
    }
    try {
      const result = await this.client(target).containers.listLogs(
        target.resourceGroup,
        name,
        jobContainerName,
        tailLines !== undefined ? { tail: tailLines } : {},
      );
      return result.content ?? '';
    } catch (err) {
      if (isArmNotFound(err)) return '';
      throw classifyArmError(err, `logs of container group ${name} in ${target.resourceGroup}`);
    }
  }

  async stop(name: string, target: JobTarget): Promise<void> {
    try {
      await this.client(target).containerGroups.stop(target.resourceGroup, name);
      this.logger.info(`stopped container group ${name} in ${target.resourceGroup}`);
    } catch (err) {
      if (isArmNotFound(err)) return;
      throw classifyArmError(err, `stop container group ${name} in ${target.resourceGroup}`);
    }
  }

  async delete(name: string, target: JobTarget): Promise<void> {
    try {
      await this.client(target).containerGroups.beginDeleteAndWait(target.resourceGroup, name, {
        updateIntervalInMs: this.options.pollIntervalMs,
      });
      this.logger.info(`deleted container group ${name} in ${target.resourceGroup}`);
    } catch (err) {
      if (isArmNotFound(err)) return;
      throw classifyArmError(err, `delete container group ${name} in ${target.resourceGroup}`);
    }
  }

  /** Every container group of the resource group (all pages); an absent resource group has none. */
  async listGroups(target: Pick<JobTarget, 'subscriptionId' | 'resourceGroup'>): Promise<JobGroup[]> {
    const groups: JobGroup[] = [];
    try {
      for await (const group of this.client(target).containerGroups.listByResourceGroup(
        target.resourceGroup,
      )) {
        if (group.name) groups.push({ name: group.name, tags: { ...group.tags } });
      }
    } catch (err) {
      if (isArmNotFound(err)) return [];
      throw classifyArmError(err, `list container groups in ${target.resourceGroup}`);
    }
    return groups;
  }

  private async tryGet(
    client: ContainerInstanceManagementClient,
    name: string,
    target: JobTarget,
    operation: string,
  ): Promise<ContainerGroup | undefined> {
    try {
      return await client.containerGroups.get(target.resourceGroup, name);
    } catch (err) {
      if (isArmNotFound(err)) return undefined;
      throw classifyArmError(err, operation);
    }
  }

  /** One client per subscription: the SDK binds the subscription id into every request path. */
  private client(target: Pick<JobTarget, 'subscriptionId'>): ContainerInstanceManagementClient {
    let client = this.clients.get(target.subscriptionId);
    if (!client) {
      const { clientOptions, endpoint } = this.options;
      client = new ContainerInstanceManagementClient(this.options.credential, target.subscriptionId, {
        ...clientOptions,
        endpoint: endpoint ?? clientOptions?.endpoint,
        retryOptions: { maxRetries: 0, ...clientOptions?.retryOptions },
      });
      this.clients.set(target.subscriptionId, client);
    }
    return client;
  }
}
