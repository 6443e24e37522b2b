import { join } from 'node:path';
import { expandGlob, findAppFiles } from '../../../devhost/functionsHost/appFiles';
import { resolveBindingExpression } from '../../../devhost/functionsHost/appSettings';
import { parseHostJson, parseTimeSpanMs } from '../../../devhost/functionsHost/hostJson';
import { compileRoute } from '../../../devhost/functionsHost/httpRoute';
import { parseTimerSchedule } from '../../../devhost/functionsHost/timerSchedule';

describe('host.json', () => {
  it('reads the Service Bus settings with the host defaults', () => {
    expect(parseHostJson({}).serviceBus).toEqual({
      maxConcurrentCalls: 16,
      maxAutoLockRenewalDurationMs: 300_000,
      autoCompleteMessages: true,
      prefetchCount: 0,
    });
    const parsed = parseHostJson({
      extensions: {
        serviceBus: {
          maxConcurrentCalls: 4,
          maxAutoLockRenewalDuration: '00:00:30',
          autoCompleteMessages: false,
        },
      },
    });
    expect(parsed.serviceBus).toMatchObject({
      maxConcurrentCalls: 4,
      maxAutoLockRenewalDurationMs: 30_000,
      autoCompleteMessages: false,
    });
  });

  it('names a bad value and its path', () => {
    expect(() => parseHostJson({ extensions: { serviceBus: { maxConcurrentCalls: 0 } } })).toThrow(
      'host.json: extensions.serviceBus.maxConcurrentCalls: expected a positive integer',
    );
    expect(() => parseHostJson({ extensions: { serviceBus: { maxAutoLockRenewalDuration: '5m' } } })).toThrow(
      /maxAutoLockRenewalDuration: expected a TimeSpan/,
    );
    expect(parseTimeSpanMs('1.02:03:04.5')).toBe(((26 * 60 + 3) * 60 + 4) * 1000 + 500);
  });
});

describe('binding expressions', () => {
  it('resolves %NAME% from the settings and names a missing one', () => {
    expect(resolveBindingExpression('%Q%-x', { Q: 'dispatch' }, 'Functions.f')).toBe('dispatch-x');
    expect(() => resolveBindingExpression('%NOPE_NOT_SET_ANYWHERE%', {}, 'Functions.f')).toThrow(
      'Functions.f: the binding expression %NOPE_NOT_SET_ANYWHERE% names an app setting that is not set',
    );
  });
});

describe('HTTP route templates', () => {
  it('matches literals case-insensitively, typed, optional and catch-all parameters', () => {
    expect(compileRoute('events/{eventId}').match('Events/abc%20d')).toEqual({ eventId: 'abc d' });
    expect(compileRoute('events/{eventId}').match('events')).toBeUndefined();
    expect(compileRoute('items/{id:int}').match('items/x')).toBeUndefined();
    expect(compileRoute('items/{id?}').match('items')).toEqual({});
    expect(compileRoute('files/{*path}').match('files/a/b/c')).toEqual({ path: 'a/b/c' });
    expect(() => compileRoute('a/{x?}/b')).toThrow(/may only be the last segment/);
  });
});

describe('timer schedules', () => {
  it('finds the next NCRONTAB occurrence', () => {
    const at = new Date('2026-01-01T10:00:00Z');
    expect(parseTimerSchedule('0 */5 * * * *').next(at).toISOString()).toBe('2026-01-01T10:05:00.000Z');
    expect(parseTimerSchedule('30 0 9 * * Mon-Fri').next(at).toISOString()).toBe('2026-01-02T09:00:30.000Z');
    expect(parseTimerSchedule('0 0 0 1 Feb *').next(at).toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(parseTimerSchedule('00:00:10').next(at).toISOString()).toBe('2026-01-01T10:00:10.000Z');
  });

  it('rejects a malformed schedule with the reason', () => {
    expect(() => parseTimerSchedule('* * * * *')).toThrow(/expected six NCRONTAB fields/);
    expect(() => parseTimerSchedule('0 61 * * * *')).toThrow(/minute '61' is outside 0-59/);
  });
});

describe('app files', () => {
  const root = join(__dirname, '..', '..', 'fixtures', 'hostApp');
  it('expands package.json main globs with braces', () => {
    expect(findAppFiles(root)).toEqual([join(root, 'functions', 'hostApp.ts')]);
    expect(expandGlob(root, '{functions,nowhere}/*.ts')).toEqual([join(root, 'functions', 'hostApp.ts')]);
    expect(() => findAppFiles(join(root, 'functions'))).toThrow(/cannot read the app's package.json/);
  });
});
