import { describeJobOutput } from '../../../devhost/cli/eventOutcome';

describe('describeJobOutput', () => {
  it('prints the output on one line, clipped, or why there is none', () => {
    expect(describeJobOutput({ route: 'r', output: { rows: 42 }, outputError: null })).toEqual([
      '  r result: {"rows":42}',
    ]);
    const long = describeJobOutput({ route: 'r', output: 'x'.repeat(500), outputError: null })[0]!;
    expect(long).toHaveLength('  r result: '.length + 200);
    expect(long.endsWith('…')).toBe(true);
    expect(describeJobOutput({ route: 'r', output: null, outputError: 'the job wrote no file' })).toEqual([
      '  r no result: the job wrote no file',
    ]);
    expect(describeJobOutput({ route: 'r', output: null, outputError: null })).toEqual([]);
    expect(describeJobOutput({ route: 'r', output: false, outputError: null })).toEqual([
      '  r result: false',
    ]);
  });
});
