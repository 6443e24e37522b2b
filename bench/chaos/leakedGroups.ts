import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { TokenCredential } from '@azure/core-auth';
import { loadOrCreateEmulatorCertificate } from '../../devhost/aci/emulatorCertificate';

/** The subscription `dispatcher dev` points the app at (its DISPATCH_DEFAULT_SUBSCRIPTION_ID). */
const devSubscriptionId = '00000000-0000-0000-0000-000000000000';

/** The ACI emulator takes any bearer token; it only checks that one is sent. */
const anyToken: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'chaos', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/**
 * Names of the container groups that still exist, listed through the official ARM SDK as an operator would.
 * Called once every event settled: the dispatcher deletes a job's group before it settles the event, so any
 * group left is leaked (in Azure: cost and quota).
 */
export async function listContainerGroups(armEndpoint: string): Promise<string[]> {
  // The emulator's CA: the shared certificate cache the stack itself uses (default cert dir).
  const { caCertPem } = await loadOrCreateEmulatorCertificate();
  const client = new ContainerInstanceManagementClient(anyToken, devSubscriptionId, {
    endpoint: armEndpoint,
    tlsOptions: { ca: caCertPem },
  });
  const names: string[] = [];
  for await (const group of client.containerGroups.list()) if (group.name) names.push(group.name);
  return names;
}
