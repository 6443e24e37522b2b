import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveEngineSettings } from '../../../devhost/durable/engineSettings';
import { parseHostJson } from '../../../devhost/functionsHost/hostJson';

describe('Durable engine settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'engine-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function hostJsonFile(durableTask: Record<string, unknown>): string {
    const file = join(dir, 'host.json');
    writeFileSync(file, JSON.stringify({ version: '2.0', extensions: { durableTask } }));
    return file;
  }

  it('reads hub name and limits through the host.json reader the Functions host uses', () => {
    const file = hostJsonFile({ hubName: 'hub%SUFFIX%', maxConcurrentActivityFunctions: 4 });
    const settings = resolveEngineSettings({ hostJsonPath: file, appSettings: { SUFFIX: 'Local' } });
    expect(settings.taskHubName).toBe('hubLocal');
    expect(settings.maxConcurrentActivityFunctions).toBe(4);
    // An already-read host.json gives the same result as its path.
    const parsed = parseHostJson({ extensions: { durableTask: { hubName: '%HUB_X%' } } }, 'app/host.json');
    expect(resolveEngineSettings({ hostJson: parsed, appSettings: { HUB_X: 'other' } }).taskHubName).toBe(
      'other',
    );
  });

  it('names the file, the key and the setting when a %SETTING% is not set', () => {
    const file = hostJsonFile({ hubName: '%NO_SUCH_HUB_SETTING_ANYWHERE%' });
    expect(() => resolveEngineSettings({ hostJsonPath: file })).toThrow(
      `${file}: extensions.durableTask.hubName: the binding expression %NO_SUCH_HUB_SETTING_ANYWHERE% names an app setting that is not set`,
    );
    // An explicit hub name wins, so the setting is not needed then.
    expect(resolveEngineSettings({ hostJsonPath: file, taskHubName: 'explicitHub' }).taskHubName).toBe(
      'explicitHub',
    );
  });

  it('rejects bad host.json values and hub names with what was expected', () => {
    expect(() =>
      resolveEngineSettings({ hostJsonPath: hostJsonFile({ maxConcurrentOrchestratorFunctions: 0 }) }),
    ).toThrow('extensions.durableTask.maxConcurrentOrchestratorFunctions: expected an integer >= 1, got 0');
    expect(() => resolveEngineSettings({ taskHubName: 'no-dashes' })).toThrow(
      'task hub name "no-dashes" is invalid',
    );
    expect(() => resolveEngineSettings({ maxConcurrentActivityFunctions: 1.5 })).toThrow(
      'maxConcurrentActivityFunctions must be an integer >= 1, got 1.5',
    );
  });

  it('reads timer durations as .NET TimeSpans or ISO-8601 durations', () => {
    const settings = resolveEngineSettings({
      maximumShortTimerDuration: '1.00:00:00',
      longRunningTimerIntervalDuration: 'PT12H',
    });
    expect(settings.maxShortTimerMs).toBe(24 * 3_600_000);
    expect(settings.longTimerIntervalMs).toBe(12 * 3_600_000);
    expect(() => resolveEngineSettings({ maximumShortTimerDuration: 'soon' })).toThrow(
      'maximumShortTimerDuration: expected a duration like "3.00:00:00" or "P3D", got "soon"',
    );
  });
});
