/** The JSON the `durableClient` input binding carries (what `df.getClient` reads). */
export interface DurableClientBindingData {
  taskHubName: string;
  creationUrls: { createNewInstancePostUri: string; createAndWaitOnNewInstancePostUri: string };
  managementUrls: {
    id: string;
    statusQueryGetUri: string;
    sendEventPostUri: string;
    terminatePostUri: string;
    rewindPostUri: string;
    purgeHistoryDeleteUri: string;
    restartPostUri: string;
    suspendPostUri: string;
    resumePostUri: string;
  };
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
  httpBaseUrl: string;
  maxGrpcMessageSizeInBytes: number;
  grpcHttpClientTimeout: string;
}

/**
 * The binding data as the extension builds it: webhook URLs under `webhookOrigin` (the Functions host
 * that serves them) and the client's RPC base on the management API's own origin.
 */
export function buildClientBindingData(
  taskHubName: string,
  webhookOrigin: string,
  apiOrigin: string,
): DurableClientBindingData {
  const base = `${webhookOrigin}/runtime/webhooks/durabletask`;
  const query = `taskHub=${taskHubName}&connection=Storage`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: '',
    rpcBaseUrl: `${apiOrigin}/durabletask/`,
    httpBaseUrl: base,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  };
}

/** The management URLs of one instance (createCheckStatusResponse's payload); `origin` replaces the host's. */
export function managementPayload(
  data: DurableClientBindingData,
  instanceId: string,
  origin?: string,
): Record<string, string> {
  const urls = data.managementUrls;
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(urls)) {
    let url = value.replace(urls.id, encodeURIComponent(instanceId));
    if (origin && key !== 'id') {
      url = url.replace(/^https?:\/\/[^/]+/, origin);
    }
    result[key] = key === 'id' ? instanceId : url;
  }
  return result;
}
