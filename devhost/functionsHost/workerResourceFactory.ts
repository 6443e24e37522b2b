import { createRequire } from 'node:module';
import { join } from 'node:path';

interface Resolver {
  hasResourceFactory(type: string): boolean;
  createClient(type: string, data: unknown): unknown;
}
type BaseModule = { ResourceFactoryResolver: { getInstance(): Resolver } };

function resolverFrom(requireFn: NodeJS.Require, fromPackage: string): Resolver | undefined {
  try {
    const scoped = createRequire(requireFn.resolve(fromPackage));
    return (scoped('@azure/functions-extensions-base') as BaseModule).ResourceFactoryResolver.getInstance();
  } catch {
    return undefined;
  }
}

/**
 * Turns model binding data into the trigger argument exactly as the Node worker does: through the
 * ResourceFactoryResolver of the @azure/functions-extensions-base copy that @azure/functions itself loads.
 * When the extension registered its factory in a DIFFERENT copy (npm installed two versions), Azure fails
 * the invocation; so does this host, with the reason spelled out.
 */
export function createWorkerResourceFactory(appRoot: string): (source: string, data: unknown) => unknown {
  const appRequire = createRequire(join(appRoot, 'package.json'));
  return (source, data) => {
    const worker = resolverFrom(appRequire, '@azure/functions');
    if (worker?.hasResourceFactory(source)) return worker.createClient(source, data);
    const extension = resolverFrom(appRequire, '@azure/functions-extensions-servicebus');
    const detail =
      extension && extension !== worker && extension.hasResourceFactory(source)
        ? `the extension registered '${source}' with its own copy of @azure/functions-extensions-base, not the one ` +
          '@azure/functions uses (two versions are installed: see `npm ls @azure/functions-extensions-base`; an npm ' +
          '"overrides" entry pinning the extension to the same version fixes it). The Azure worker fails the same way.'
        : `Factory for type "${source}" is not registered (is '@azure/functions-extensions-servicebus' imported by the app?)`;
    throw new Error(
      `Unable to create client. Please register the extensions library with your function app. Error: ${detail}`,
    );
  };
}
