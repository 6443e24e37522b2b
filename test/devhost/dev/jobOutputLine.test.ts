import { jobOutputRecord } from '../../../devhost/dev/jobOutputLine';

describe('jobOutputRecord', () => {
  it("prefixes a job's output line with its route, attempt and event hash, at info level", () => {
    expect(
      jobOutputRecord('dispatcher-jobs/demo-hello-ec3658916780f613-a2/demo-hello> hello from demo-hello'),
    ).toEqual({ level: 'information', message: 'demo-hello a2 ec365891 | hello from demo-hello' });
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
