import { limitsForTarget } from '../../../shared/config/admissionSettings';
import { loadSettings } from '../../../shared/config/loadSettings';
import { ACI_DEFAULT_QUOTA, parseQuotaSpec } from '../../../shared/config/quotaSpec';
import { ConfigError } from '../../../shared/errors/dispatchErrors';
import { TEST_SIGNING_KEY } from '../../support/testSigner';

const SUB = '11111111-2222-3333-4444-555555555555';
const local = {
  DURABLE_TASK_HUB: 'dispatcherlocal',
  ServiceBusConnection:
    'Endpoint=sb://localhost;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true;',
  DISPATCH_SIGNING_KEY: TEST_SIGNING_KEY,
};

function issues(env: Record<string, string>): string[] {
  try {
    loadSettings({ ...local, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected ConfigError');
}

describe('admission settings', () => {
  it("defaults to on with ACI's default quotas and a 5-minute reconciliation", () => {
    expect(loadSettings(local).admission).toEqual({
      enabled: true,
      defaultLimits: { containerGroups: 100, cores: 100, createsPer5Min: 100, createsPerHour: 300 },
      targetLimits: {},
      reconcileIntervalMs: 300_000,
    });
  });

  it('reads default and per-target limits in the quota syntax; a target inherits the default', () => {
    const { admission } = loadSettings({
      ...local,
      DISPATCH_ADMISSION: 'on',
      DISPATCH_ADMISSION_DEFAULT_LIMITS: 'containerGroups=20, cores=40',
      DISPATCH_ADMISSION_TARGET_LIMITS: JSON.stringify({ [`${SUB}/WestEurope`]: 'createsPerHour=600' }),
      DISPATCH_ADMISSION_RECONCILE_INTERVAL: 'PT1M',
    });
    expect(limitsForTarget(admission, { subscriptionId: SUB, location: 'westeurope' })).toEqual({
      containerGroups: 20,
      cores: 40,
      createsPer5Min: 100,
      createsPerHour: 600,
    });
    expect(limitsForTarget(admission, { subscriptionId: SUB, location: 'northeurope' })).toEqual({
      ...ACI_DEFAULT_QUOTA,
      containerGroups: 20,
      cores: 40,
    });
    expect(admission.reconcileIntervalMs).toBe(60_000);
    expect(loadSettings({ ...local, DISPATCH_ADMISSION: 'off' }).admission.enabled).toBe(false);
  });

  it('names each bad setting and what was expected', () => {
    expect(
      issues({
        DISPATCH_ADMISSION: 'maybe',
        DISPATCH_ADMISSION_DEFAULT_LIMITS: 'groups=5',
        DISPATCH_ADMISSION_TARGET_LIMITS: JSON.stringify({
          westeurope: 'cores=1',
          [`${SUB}/westeurope`]: 'cores=0',
        }),
        DISPATCH_ADMISSION_RECONCILE_INTERVAL: 'PT2H',
      }),
    ).toEqual([
      'DISPATCH_ADMISSION: expected "on" or "off", got "maybe"',
      'DISPATCH_ADMISSION_DEFAULT_LIMITS: unknown quota "groups" (expected containerGroups, cores, createsPer5Min, createsPerHour)',
      'DISPATCH_ADMISSION_TARGET_LIMITS["westeurope"]: expected "<subscriptionId>/<location>" such as "<guid>/westeurope"',
      `DISPATCH_ADMISSION_TARGET_LIMITS["${SUB}/westeurope"]: cores: expected an integer from 1 to 1000000, got 0`,
      'DISPATCH_ADMISSION_RECONCILE_INTERVAL: expected an ISO-8601 duration from PT1S to PT1H, got "PT2H"',
    ]);
    expect(issues({ DISPATCH_ADMISSION_TARGET_LIMITS: '{"a":' })[0]).toMatch(
      /^DISPATCH_ADMISSION_TARGET_LIMITS: expected a JSON object, /,
    );
  });

  it('parses the quota syntax strictly', () => {
    expect(parseQuotaSpec('containerGroups=8,cores=8')).toEqual({
      ok: true,
      limits: { ...ACI_DEFAULT_QUOTA, containerGroups: 8, cores: 8 },
    });
    expect(parseQuotaSpec('cores=8,cores=9')).toEqual({ ok: false, message: 'quota "cores" given twice' });
    expect(parseQuotaSpec('cores:8')).toEqual({
      ok: false,
      message: 'expected name=integer pairs separated by commas, got "cores:8"',
    });
  });
});
