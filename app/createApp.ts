import { resolve } from 'node:path';
import type { Settings } from '../shared/config/loadSettings';
import { loadRoutes } from '../shared/routes/loadRoutes';
import { resolveRoutes, type ResolvedRoute } from '../shared/routes/resolvedRoute';
import { createServices, type Services } from './createServices';
import { registerFunctions } from './registerFunctions';

export interface DispatcherApp {
  routes: readonly ResolvedRoute[];
  services: Services;
  /** Closes the services' connections (the host's app-terminate hook). */
  close(): Promise<void>;
}

/** The routes file named by the settings, validated (every problem named) and resolved against the defaults. */
export function loadAppRoutes(settings: Settings): ResolvedRoute[] {
  return resolveRoutes(loadRoutes(resolve(settings.routesFile)), {
    ...settings.defaultTarget,
    jobIdentityId: settings.jobIdentityId,
  });
}

/**
 * Builds the app from validated settings: routes read once, services built once (their SDK clients connect on
 * first use, not here), every function registered with them. `overrides` swap single services (tests).
 */
export function createApp(
  settings: Settings,
  overrides: Parameters<typeof createServices>[1] = {},
): DispatcherApp {
  const routes = loadAppRoutes(settings);
  const services = createServices(settings, overrides);
  registerFunctions({ settings, routes, ports: services });
  return { routes, services, close: () => services.close() };
}
