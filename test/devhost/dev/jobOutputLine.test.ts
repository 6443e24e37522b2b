import { jobOutputRecord } from '../../../devhost/dev/jobOutputLine';

describe('jobOutputRecord', () => {
  it("prefixes a job's output line with its route, attempt and event hash, at info level", () => {
    expect(
      jobOutputRecord('dispatcher-jobs/demo-hello-ec3658916780f613-a2/demo-hello> hello from demo-hello'),
    ).toEqual({ level: 'information', message: 'demo-hello a2 ec365891 | hello from demo-hello' });
  });

  it("puts an output file report's data lines at debug level, its begin and end at info", () => {
    const line = (text: string): string => `dispatcher-jobs/demo-output-ec3658916780f613-a1/job> ${text}`;
    expect(jobOutputRecord(line('@@dispatch-output v1 data 7b7d'))?.level).toBe('debug');
    expect(jobOutputRecord(line('@@dispatch-output v1 begin 2 1234'))?.level).toBe('information');
  });

  it('leaves the emulator’s own lines (requests, lifecycle) to the debug log', () => {
    expect(
      jobOutputRecord('PUT /subscriptions/0/resourceGroups/jobs/providers/x/containerGroups/g > 201 (3 ms)'),
    ).toBeUndefined();
    expect(
      jobOutputRecord('dispatcher-jobs/demo-hello-ec3658916780f613-a1: deployment failed'),
    ).toBeUndefined();
  });
});
