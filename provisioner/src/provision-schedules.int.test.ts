// EventBridge Scheduler schedule groups and schedules of resources.yml against the storage's SQS
// server, which serves the Scheduler API on its port (docs/eventbridge.md): groups before the
// schedules in them, a second run leaves them, a changed definition is written again (the
// template owns it), and the storage fires what was provisioned.
import { GetScheduleCommand, GetScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourcesFile, ScheduleFiring } from '@esb/contracts';
import { FakeClock } from '@esb/contracts/testing';
import { startSqsServer, type RunningSqsServer } from '@esb/storage';
import { provision, type ProvisionOptions } from './index.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:shop-Report';

describe("provision: EventBridge Scheduler schedules on the storage's SQS port", () => {
  let server: RunningSqsServer;
  let client: SchedulerClient;
  let opts: ProvisionOptions;
  const clock = new FakeClock(Date.parse('2026-07-01T00:00:00Z'));
  const fired: ScheduleFiring[] = [];

  const resources = (hour: number): ResourcesFile => ({
    resources: {
      schedule_groups: [{ Name: 'shop-reports', Tags: [{ Key: 'team', Value: 'web' }] }],
      schedules: [
        { Name: 'nightly', GroupName: 'shop-reports', ScheduleExpression: `cron(0 ${hour} * * ? *)`, ScheduleExpressionTimezone: 'Europe/Paris', State: 'ENABLED', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: FN, RoleArn: 'arn:aws:iam::123456789012:role/s', Input: '{"kind":"nightly"}' } },
        { Name: 'launch', GroupName: 'default', ScheduleExpression: 'at(2026-07-01T00:30:00)', StartDate: '2026-06-01T00:00:00.000Z', State: 'ENABLED', FlexibleTimeWindow: { Mode: 'OFF' }, ActionAfterCompletion: 'DELETE', Target: { Arn: 'arn:aws:sqs:us-east-1:123456789012:jobs.fifo', RoleArn: 'r', Input: 'go', SqsParameters: { MessageGroupId: 'g' } } },
      ],
    },
  });

  beforeAll(async () => {
    server = await startSqsServer({ port: 0, schedulerClock: clock, onScheduleFired: (f) => fired.push(...f) });
    client = new SchedulerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    opts = { sqsEndpoint: server.endpoint, credentials, retry: { attempts: 3, baseDelayMs: 10 } };
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });

  it('creates the group, then its schedules; the storage fires them', async () => {
    const lines: string[] = [];
    const report = await provision(resources(2), { ...opts, log: { info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) } });
    expect(report.scheduleGroups).toEqual([{ name: 'shop-reports', status: 'created' }]);
    expect(report.schedules).toEqual([
      { name: 'default/launch', status: 'created' },
      { name: 'shop-reports/nightly', status: 'created' },
    ]);
    expect(lines.at(-1)).toMatch(/1 schedule group\(s\) and 2 schedule\(s\): 3 created, 0 already there/);
    expect((await client.send(new GetScheduleGroupCommand({ Name: 'shop-reports' }))).State).toBe('ACTIVE');
    expect(await client.send(new GetScheduleCommand({ Name: 'nightly', GroupName: 'shop-reports' }))).toMatchObject({ ScheduleExpressionTimezone: 'Europe/Paris', Target: { Arn: FN, Input: '{"kind":"nightly"}' } });
    clock.advance(3_600_000);
    expect(fired.map((f) => [f.name, new Date(f.time).toISOString(), f.target.message_group_id])).toEqual([['launch', '2026-07-01T00:30:00.000Z', 'g']]);
    clock.advance(3_600_000); // 02:00 in Paris is 00:00 UTC: tomorrow's
    expect(fired.map((f) => f.name)).toEqual(['launch']);
  });

  it('a second run leaves them; a changed definition is written again', async () => {
    await provision(resources(2), opts).then((r) => {
      expect(r.scheduleGroups.map((g) => g.status)).toEqual(['exists']);
      // launch fired and deleted itself: made again, it is past and never fires again.
      expect(r.schedules).toEqual([
        { name: 'default/launch', status: 'created' },
        { name: 'shop-reports/nightly', status: 'exists' },
      ]);
    });
    const changed = await provision(resources(3), opts);
    expect(changed.schedules).toEqual([
      { name: 'default/launch', status: 'exists' },
      { name: 'shop-reports/nightly', status: 'updated' },
    ]);
    expect((await client.send(new GetScheduleCommand({ Name: 'nightly', GroupName: 'shop-reports' }))).ScheduleExpression).toBe('cron(0 3 * * ? *)');
    const before = fired.length;
    clock.advance(86_400_000);
    expect(fired.slice(before).map((f) => [f.name, new Date(f.time).toISOString()])).toEqual([['nightly', '2026-07-02T01:00:00.000Z']]);
  });
});
