import {
  createHttpHeaders,
  createPipelineRequest,
  RestError,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import {
  CapacityProviderError,
  InvalidEventError,
  PermanentProviderError,
  TransientProviderError,
} from '../../../shared/errors/dispatchErrors';
import { classifyArmError, isArmNotFound } from '../../../adapters/aci/classifyArmError';

function armError(
  statusCode: number | undefined,
  code: string | undefined,
  headers: Record<string, string> = {},
  body?: unknown,
): RestError {
  const request = createPipelineRequest({ url: 'https://management.azure.com/x', method: 'PUT' });
  const response: PipelineResponse | undefined =
    statusCode === undefined
      ? undefined
      : {
          request,
          status: statusCode,
          headers: createHttpHeaders(headers),
          bodyAsText: body === undefined ? undefined : JSON.stringify(body),
        };
  return new RestError(`message for ${code ?? statusCode ?? 'network'}`, {
    code,
    statusCode,
    request,
    response,
  });
}

const op = 'create container group g in rg (westeurope)';

describe('classifyArmError', () => {
  test.each([
    [429, 'SubscriptionRequestsThrottled', TransientProviderError],
    [500, 'InternalServerError', TransientProviderError],
    [502, undefined, TransientProviderError],
    [503, 'ServiceUnavailable', TransientProviderError],
    [504, 'GatewayTimeout', TransientProviderError],
    [408, undefined, TransientProviderError],
    [409, 'Conflict', TransientProviderError],
    [400, 'RegistryErrorResponse', TransientProviderError],
    [409, 'ServiceUnavailable', CapacityProviderError],
    [400, 'ContainerGroupQuotaReached', CapacityProviderError],
    [409, 'ContainerGroupQuotaReached', CapacityProviderError],
    [409, 'SkuNotAvailable', CapacityProviderError],
    [400, 'ResourceRequestsNotAvailable', CapacityProviderError],
    [400, 'InsufficientCapacity', CapacityProviderError],
    [400, 'InaccessibleImage', PermanentProviderError],
    [400, 'InvalidContainerGroupName', PermanentProviderError],
    [400, 'ResourceRequestsNotSupported', PermanentProviderError],
    [401, 'InvalidAuthenticationToken', PermanentProviderError],
    [403, 'AuthorizationFailed', PermanentProviderError],
    [404, 'ResourceGroupNotFound', PermanentProviderError],
  ])('HTTP %s %s -> %p', (status, code, expected) => {
    const classified = classifyArmError(armError(status, code), op);
    expect(classified).toBeInstanceOf(expected);
    if (expected === TransientProviderError) expect(classified).not.toBeInstanceOf(CapacityProviderError);
    expect(classified.message.startsWith(`${op}: `)).toBe(true);
    expect((classified as TransientProviderError).code).toBe(code ?? `Http${status}`);
  });

  test.each([
    ['InaccessibleImage', 'ImagePullFailed'],
    ['InvalidImageRegistryIdentity', 'ImagePullFailed'],
    ['ImageRegistryCredentialsNotProvided', 'ImagePullFailed'],
    ['InvalidContainerGroupName', 'PermanentError'],
    ['AuthorizationFailed', 'PermanentError'],
  ])('permanent %s is typed %s (by code, not by message)', (code, reason) => {
    const classified = classifyArmError(armError(400, code), op);
    expect(classified).toMatchObject({ constructor: PermanentProviderError, reason });
  });

  test('Retry-After in seconds, as a date and as milliseconds', () => {
    expect(classifyArmError(armError(429, 'TooManyRequests', { 'Retry-After': '7' }), op)).toMatchObject({
      retryAfterMs: 7000,
    });
    expect(
      classifyArmError(armError(503, 'ServiceUnavailable', { 'x-ms-retry-after-ms': '250' }), op),
    ).toMatchObject({ retryAfterMs: 250 });
    const inTwoSeconds = new Date(Date.now() + 2000).toUTCString();
    const dated = classifyArmError(
      armError(429, undefined, { 'Retry-After': inTwoSeconds }),
      op,
    ) as TransientProviderError;
    expect(dated.retryAfterMs).toBeGreaterThan(0);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(2000);
    expect(classifyArmError(armError(429, undefined, { 'Retry-After': '999999' }), op)).toMatchObject({
      retryAfterMs: 15 * 60 * 1000,
    });
    expect(classifyArmError(armError(500, undefined), op)).toMatchObject({ retryAfterMs: undefined });
  });

  test('the ARM error body is read when RestError carries no code', () => {
    const classified = classifyArmError(
      armError(409, undefined, {}, { error: { code: 'ContainerGroupQuotaReached', message: 'quota' } }),
      op,
    );
    expect(classified).toBeInstanceOf(CapacityProviderError);
  });

  test('network failures are transient, TLS trust failures permanent', () => {
    expect(classifyArmError(armError(undefined, 'ECONNREFUSED'), op)).toMatchObject({
      constructor: TransientProviderError,
      code: 'ECONNREFUSED',
    });
    expect(classifyArmError(armError(undefined, 'REQUEST_SEND_ERROR'), op)).toBeInstanceOf(
      TransientProviderError,
    );
    expect(classifyArmError(armError(undefined, 'SELF_SIGNED_CERT_IN_CHAIN'), op)).toBeInstanceOf(
      PermanentProviderError,
    );
  });

  test('failed long-running operations (core-lro message shape)', () => {
    const lro = (text: string): Error => new Error(`The long-running operation has failed${text}`);
    expect(
      classifyArmError(
        lro('. ServiceUnavailable. The requested resource is not available in the location'),
        op,
      ),
    ).toBeInstanceOf(CapacityProviderError);
    expect(classifyArmError(lro('. InaccessibleImage. The image is not accessible'), op)).toBeInstanceOf(
      PermanentProviderError,
    );
    expect(classifyArmError(lro('. Failed. Failed to pull image "x:1"'), op)).toMatchObject({
      constructor: PermanentProviderError,
      code: 'InaccessibleImage',
      reason: 'ImagePullFailed',
    });
    expect(classifyArmError(lro('. DeploymentFailed. something odd'), op)).toMatchObject({
      constructor: TransientProviderError,
      code: 'DeploymentFailed',
    });
    expect(classifyArmError(lro(''), op)).toMatchObject({
      constructor: TransientProviderError,
      code: 'ProvisioningFailed',
    });
  });

  test('identity failures: configuration is permanent, an Entra outage transient', () => {
    const unavailable = Object.assign(new Error('ManagedIdentityCredential: no endpoint'), {
      name: 'CredentialUnavailableError',
    });
    expect(classifyArmError(unavailable, op)).toBeInstanceOf(PermanentProviderError);
    const refused = Object.assign(new Error('AADSTS700016'), {
      name: 'AuthenticationError',
      statusCode: 400,
    });
    expect(classifyArmError(refused, op)).toBeInstanceOf(PermanentProviderError);
    const outage = Object.assign(new Error('server error'), { name: 'AuthenticationError', statusCode: 503 });
    expect(classifyArmError(outage, op)).toBeInstanceOf(TransientProviderError);
  });

  test('dispatch errors pass through; anything else is transient', () => {
    const already = new InvalidEventError('bad', 'data');
    expect(classifyArmError(already, op)).toBe(already);
    expect(classifyArmError('weird', op)).toMatchObject({
      constructor: TransientProviderError,
      message: `${op}: weird`,
    });
  });

  test('isArmNotFound', () => {
    expect(isArmNotFound(armError(404, 'ResourceNotFound'))).toBe(true);
    expect(isArmNotFound(armError(400, 'x'))).toBe(false);
    expect(isArmNotFound(new Error('404'))).toBe(false);
  });
});
