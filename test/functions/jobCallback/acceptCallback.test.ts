import { randomBytes } from 'node:crypto';
import { acceptCallback, type CallbackClient } from '../../../functions/jobCallback/acceptCallback';
import { callbackKeyFrom, callbackToken } from '../../../shared/callbacks/callbackToken';
import type { InstanceSnapshot } from '../../../functions/status/jobStatus';

/*
 * The endpoint's decisions over a Durable client double (getStatus / raiseEvent, the port it uses). The whole path
 * through the local host and a real job runs in test/e2e/callbacks.e2e.test.ts.
 */
const key = callbackKeyFrom(randomBytes(32));
const id = 'cb-0123456789abcdef-a1';
const deadline = '2026-01-01T01:00:00.000Z';
const now = new Date('2026-01-01T00:10:00Z');
const token = callbackToken(key, id, deadline);

function client(custom: Record<string, unknown>, runtimeStatus = 'Running') {
  const raised: unknown[] = [];
  const c: CallbackClient = {
    getStatus: (instanceId) =>
      instanceId === id
        ? Promise.resolve<InstanceSnapshot>({
            name: 'dispatchJob',
            instanceId,
            runtimeStatus,
            customStatus: { phase: 'Watching', deadline, callback: 'waiting', ...custom },
            createdTime: now,
            lastUpdatedTime: now,
          })
        : Promise.reject(Object.assign(new Error('not found'), { statusCode: 404 })),
    raiseEvent: (_id, name, data) => {
      raised.push({ name, data });
      return Promise.resolve();
    },
  };
  return { c, raised };
}

const call = (c: CallbackClient, auth: string | null, body = '', instanceId = id, at = now) =>
  acceptCallback(c, key, { instanceId, authorization: auth, body }, at);

describe('acceptCallback', () => {
  it('raises the callback event with the output for a good token', async () => {
    const { c, raised } = client({});
    const answer = await call(c, `Bearer ${token}`, JSON.stringify({ output: { rows: 3 } }));
    expect(answer.status).toBe(202);
    expect(raised).toEqual([
      { name: 'JobCallback', data: { receivedAt: now.toISOString(), output: { rows: 3 } } },
    ]);
  });

  it('answers 401 to missing, forged, moved, used and expired tokens, and raises nothing', async () => {
    const { c, raised } = client({});
    expect((await call(c, null)).status).toBe(401);
    expect((await call(c, `Bearer dcb1.${'A'.repeat(43)}`)).status).toBe(401);
    expect((await call(c, `Bearer ${token}`, '', 'cb-fedcba9876543210-a1')).status).toBe(401);
    expect((await call(client({ callback: 'received' }).c, `Bearer ${token}`)).status).toBe(401);
    expect((await call(c, `Bearer ${token}`, '', id, new Date('2026-01-01T02:00:00Z'))).status).toBe(401);
    expect((await call(client({ callback: undefined }).c, `Bearer ${token}`)).status).toBe(401);
    expect(raised).toEqual([]);
  });

  it('binds the token to the latest deadline (fixed before the create), and expires it with the job deadline', async () => {
    const latestDeadline = '2026-01-01T01:10:00.000Z';
    const bound = callbackToken(key, id, latestDeadline);
    // The job's deadline moved with the create that succeeded; the token made for the create still holds.
    const { c, raised } = client({ deadline: '2026-01-01T01:02:00.000Z', latestDeadline });
    expect((await call(c, `Bearer ${token}`)).status).toBe(401);
    expect((await call(c, `Bearer ${bound}`, '', id, new Date('2026-01-01T01:05:00Z'))).status).toBe(401);
    expect((await call(c, `Bearer ${bound}`)).status).toBe(202);
    expect(raised).toHaveLength(1);
  });

  it('answers 409 once the attempt is settling or settled', async () => {
    expect((await call(client({ phase: 'Settling' }).c, `Bearer ${token}`)).status).toBe(409);
    expect((await call(client({ phase: 'Succeeded' }, 'Completed').c, `Bearer ${token}`)).status).toBe(409);
  });

  it('refuses bad bodies after the token, naming what was wrong', async () => {
    const { c, raised } = client({});
    expect(await call(c, `Bearer ${token}`, '{"output":')).toMatchObject({ status: 400 });
    expect(await call(c, `Bearer ${token}`, '{"result":1}')).toMatchObject({
      status: 400,
      body: { error: 'body.result: unexpected field (only "output" is allowed)' },
    });
    const big = JSON.stringify({ output: 'x'.repeat(70_000) });
    expect(await call(c, `Bearer ${token}`, big)).toMatchObject({ status: 413 });
    expect(raised).toEqual([]);
  });
});
