import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceSection } from '../../../bench/chaos/chaosReport';
import { readRuns } from '../../../bench/chaos/chaosRoutes';
import { mergeResults } from '../../../bench/run';

describe('chaos results in bench/results.md', () => {
  it('adds the chaos section, then replaces only it', () => {
    const first = replaceSection('# Benchmark results\n', 'chaos', 'one');
    expect(first).toBe('# Benchmark results\n\n<!-- bench:chaos -->\none\n<!-- /bench:chaos -->\n');
    const second = replaceSection(`${first}tail\n`, 'chaos', 'two');
    expect(second).toBe('# Benchmark results\n\n<!-- bench:chaos -->\ntwo\n<!-- /bench:chaos -->\ntail\n');
  });

  it('npm run bench keeps the chaos section it does not own', () => {
    const existing = replaceSection('# Benchmark results\n', 'chaos', 'chaos table');
    const merged = mergeResults(existing, new Map([['replay', 'replay table']]));
    expect(merged).toContain('<!-- bench:replay -->\nreplay table\n<!-- /bench:replay -->');
    expect(merged).toContain('<!-- bench:chaos -->\nchaos table\n<!-- /bench:chaos -->');
  });
});

describe('readRuns', () => {
  it('counts runs of a group beyond its first and reads the event of each run', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'chaos-runs-')), 'runs.log');
    const event = (id: string): string => JSON.stringify({ id, source: 'urn:s', type: 't' });
    writeFileSync(
      file,
      [
        `chaos-record-aaaa-a1 10 ${event('e1')}`,
        `chaos-record-aaaa-a1 11 ${event('e1')}`,
        `chaos-record-aaaa-a2 12 ${event('e1')}`,
        `chaos-other-bbbb-a99 13 ${event('e2')}`,
        'garbage',
        '',
      ].join('\n'),
    );
    const runs = readRuns(file);
    expect(runs.extraRuns).toBe(1);
    expect(runs.groupsRunMoreThanOnce).toEqual(['chaos-record-aaaa-a1']);
    expect(runs.unreadable).toBe(1);
    expect(runs.runs[3]).toMatchObject({ route: 'chaos-other', attempt: 99, eventId: 'e2', source: 'urn:s' });
  });
});
