import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/*
 * The determinism rules (no Node built-ins, Date.now, new Date(), Math.random, timers, process) apply to the
 * orchestrator and every module it replays, and nothing else: activities and registration may do I/O.
 */

const root = join(__dirname, '..', '..', '..');
const eslintBin = join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');

function determinismRules(file: string): Record<string, unknown> {
  const config = JSON.parse(
    execFileSync(process.execPath, [eslintBin, '--print-config', file], { cwd: root, encoding: 'utf8' }),
  ) as { rules: Record<string, unknown> };
  const pick = ['no-restricted-imports', 'no-restricted-globals', 'no-restricted-syntax'] as const;
  return Object.fromEntries(pick.filter((rule) => rule in config.rules).map((r) => [r, config.rules[r]]));
}

describe('determinism lint', () => {
  test.each([
    'orchestrations/dispatchJob/dispatchJobOrchestrator.ts',
    'orchestrations/dispatchJob/watchJob.ts',
    'orchestrations/dispatchJob/decideSettlement.ts',
    'shared/policy/backoff.ts',
    'shared/policy/pollSchedule.ts',
    'shared/errors/classifyError.ts',
  ])('covers %s (replayed)', (file) => {
    expect(Object.keys(determinismRules(file))).toEqual([
      'no-restricted-imports',
      'no-restricted-globals',
      'no-restricted-syntax',
    ]);
  });

  test.each([
    'orchestrations/dispatchJob/createDispatchJobActivities.ts',
    'orchestrations/dispatchJob/registerDispatchJob.ts',
    'adapters/aci/aciJobProvider.ts',
    'shared/routes/loadRoutes.ts',
  ])('leaves %s alone (not replayed)', (file) => {
    expect(determinismRules(file)).toEqual({});
  });
});
