import type { InvocationContext } from '@azure/functions';
import type { InstanceSnapshot } from './jobStatus';

/**
 * One page of orchestration instances from the Durable extension's management API (`GET instances`), with
 * its own filters and `top`, and the `x-ms-continuation-token` header both ways. durable-functions 3.x's
 * DurableClient has no such call: its getStatusBy/getStatusAll follow every continuation token before they
 * return, i.e. they read the whole (filtered) hub, and it cannot pass `top` or `instanceIdPrefix`.
 */
export interface InstancePageQuery {
  instanceIdPrefix?: string;
  runtimeStatus?: readonly string[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  top: number;
  continuationToken?: string;
}

export interface InstancePage {
  instances: InstanceSnapshot[];
  continuationToken?: string;
}

export type InstancePageSource = (query: InstancePageQuery) => Promise<InstancePage>;

/** The part of the durableClient binding data (what `df.getClient` reads) this needs. */
interface ClientBindingData {
  rpcBaseUrl?: string;
  managementUrls?: { id?: string; statusQueryGetUri?: string };
}

function bindingData(context: InvocationContext): ClientBindingData {
  const input = context.options.extraInputs.find(
    (i) => i.type === 'durableClient' || i.type === 'orchestrationClient',
  );
  const data: unknown = input ? context.extraInputs.get(input) : undefined;
  const parsed: unknown = typeof data === 'string' ? JSON.parse(data) : data;
  if (typeof parsed !== 'object' || parsed === null) {
    throw new Error(
      'durableClient input: no binding data (register the function with df.input.durableClient())',
    );
  }
  return parsed;
}

/**
 * The `instances` URL: the extension's local RPC endpoint when the binding names one (as durable-functions
 * prefers it), else the status-query webhook (its query string carries the task hub, connection and key).
 */
function instancesUrl(data: ClientBindingData): URL {
  if (data.rpcBaseUrl) return new URL('instances/', data.rpcBaseUrl);
  const template = data.managementUrls?.statusQueryGetUri;
  const id = data.managementUrls?.id;
  if (!template || !id) throw new Error('durableClient input: neither rpcBaseUrl nor statusQueryGetUri');
  return new URL(template.replace(`/${id}`, '/'));
}

/** A page source over the function's durableClient input binding. */
export function instancePagesFor(context: InvocationContext): InstancePageSource {
  const data = bindingData(context);
  return async (query) => {
    const url = instancesUrl(data);
    const q = url.searchParams;
    q.set('top', String(query.top));
    q.set('showInput', 'false');
    if (query.instanceIdPrefix) q.set('instanceIdPrefix', query.instanceIdPrefix);
    if (query.runtimeStatus && query.runtimeStatus.length > 0)
      q.set('runtimeStatus', query.runtimeStatus.join(','));
    if (query.createdTimeFrom) q.set('createdTimeFrom', query.createdTimeFrom.toISOString());
    if (query.createdTimeTo) q.set('createdTimeTo', query.createdTimeTo.toISOString());
    const response = await fetch(url, {
      headers: query.continuationToken ? { 'x-ms-continuation-token': query.continuationToken } : {},
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(`Durable instance query answered ${response.status}: ${text.slice(0, 500)}`);
    }
    const instances = JSON.parse(text) as InstanceSnapshot[];
    const token = response.headers.get('x-ms-continuation-token');
    return token ? { instances, continuationToken: token } : { instances };
  };
}
