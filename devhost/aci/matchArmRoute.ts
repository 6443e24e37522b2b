import { ArmError } from './armError';

/** What an ARM path of the Container Instances API names. */
export interface RouteMatch {
  subscriptionId: string;
  resourceGroup?: string;
  name?: string;
  action?: 'stop' | 'start' | 'restart';
  containerName?: string;
  operation?: { location: string; id: string };
  /** `.../locations/{location}/usages` (the Usage API). */
  usages?: { location: string };
}

const GROUPS_ROUTE =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerinstance\/containergroups(?:\/([^/]+)(?:\/(stop|start|restart)|\/containers\/([^/]+)\/logs)?)?\/?$/i;
const SUBSCRIPTION_GROUPS_ROUTE =
  /^\/subscriptions\/([^/]+)\/providers\/microsoft\.containerinstance\/containergroups\/?$/i;
const OPERATION_ROUTE =
  /^\/subscriptions\/([^/]+)\/providers\/microsoft\.containerinstance\/locations\/([^/]+)\/operations\/([^/]+)\/?$/i;

const USAGES_ROUTE =
  /^\/subscriptions\/([^/]+)\/providers\/microsoft\.containerinstance\/locations\/([^/]+)\/usages\/?$/i;

function decode(part: string | undefined): string | undefined {
  if (part === undefined) return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ArmError(
      400,
      'InvalidRequestUri',
      `The request URI has an invalid escape sequence in '${part}'.`,
    );
  }
}

/** Matches the paths the emulator serves (case-insensitive, as ARM); undefined for any other. */
export function matchArmRoute(pathname: string): RouteMatch | undefined {
  const groups = GROUPS_ROUTE.exec(pathname);
  if (groups) {
    return {
      subscriptionId: decode(groups[1]) ?? '',
      resourceGroup: decode(groups[2]),
      name: decode(groups[3]),
      ...(groups[4] ? { action: groups[4].toLowerCase() as RouteMatch['action'] } : {}),
      containerName: decode(groups[5]),
    };
  }
  const subscription = SUBSCRIPTION_GROUPS_ROUTE.exec(pathname);
  if (subscription) return { subscriptionId: decode(subscription[1]) ?? '' };
  const operation = OPERATION_ROUTE.exec(pathname);
  if (operation) {
    return {
      subscriptionId: decode(operation[1]) ?? '',
      operation: { location: decode(operation[2]) ?? '', id: decode(operation[3]) ?? '' },
    };
  }
  const usages = USAGES_ROUTE.exec(pathname);
  if (usages)
    return { subscriptionId: decode(usages[1]) ?? '', usages: { location: decode(usages[2]) ?? '' } };
  return undefined;
}
