import type { JobTarget } from './jobProvider';

/** A container group as listed: its name and tags (list responses carry no instance view). */
export interface JobGroup {
  name: string;
  tags: Record<string, string>;
}

/** Lists the container groups of a resource group: what the orphan sweeper inspects. */
export interface JobInventory {
  listGroups(target: Pick<JobTarget, 'subscriptionId' | 'resourceGroup'>): Promise<JobGroup[]>;
}
