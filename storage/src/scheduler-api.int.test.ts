// The EventBridge Scheduler API on the SQS server's port, over real HTTP with
// @aws-sdk/client-scheduler as functions use it: schedules and groups created, read, listed,
// updated and deleted (errors as the SDK's exception classes), firing on a clock the test moves
// (one-time in a time zone, rates, disabled, deleted after completion), persistence across a
// restart, and a damaged snapshot.
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  paginateListSchedules,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScheduleFiring } from '@esb/contracts';
import { FakeClock } from '@esb/contracts/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SchedulesSnapshotError, startSqsServer, type RunningSqsServer } from './sqs-server.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'any-secret' };
const ROLE = 'arn:aws:iam::123456789012:role/scheduler';
const FN = 'arn:aws:lambda:us-east-1:123456789012:function:remind';
const t = (iso: string) => Date.parse(iso);

describe('EventBridge Scheduler on the SQS port', () => {
  let dir: string;
  let clock: FakeClock;
  let server: RunningSqsServer;
  let client: SchedulerClient;
  let fired: ScheduleFiring[];

  const start = async () => {
    server = await startSqsServer({ port: 0, directory: dir, snapshotDelayMs: 1, schedulerClock: clock, onScheduleFired: (f) => fired.push(...f) });
    client = new SchedulerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  };
  const stop = async () => {
    client.destroy();
    await server.close();
  };
  const schedule = (name: string, more: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput => ({
    Name: name,
    ScheduleExpression: 'rate(5 minutes)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: FN, RoleArn: ROLE },
    ...more,
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-scheduler-'));
    clock = new FakeClock(t('2026-07-01T00:00:00Z'));
    fired = [];
    await start();
  });

  afterEach(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a one-time schedule in a time zone: read back as given, fired once at its time with its input, then deleted as asked', async () => {
    const created = await client.send(
      new CreateScheduleCommand(schedule('call-alice', { ScheduleExpression: 'at(2026-07-01T18:30:00)', ScheduleExpressionTimezone: 'Asia/Tokyo', Description: 'reminder', ActionAfterCompletion: 'DELETE', Target: { Arn: FN, RoleArn: ROLE, Input: '{"who":"alice"}' } })),
    );
    expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:123456789012:schedule/default/call-alice');
    const got = await client.send(new GetScheduleCommand({ Name: 'call-alice' }));
    expect(got).toMatchObject({ Name: 'call-alice', GroupName: 'default', State: 'ENABLED', ScheduleExpression: 'at(2026-07-01T18:30:00)', ScheduleExpressionTimezone: 'Asia/Tokyo', Description: 'reminder', ActionAfterCompletion: 'DELETE', Target: { Arn: FN, Input: '{"who":"alice"}' } });
    expect(got.CreationDate).toEqual(new Date('2026-07-01T00:00:00Z'));

    clock.advance(9 * 3_600_000 + 29 * 60_000); // 09:29 UTC = 18:29 in Tokyo
    expect(fired).toEqual([]);
    clock.advance(60_000);
    expect(fired).toEqual([{ schedule: created.ScheduleArn, group: 'default', name: 'call-alice', time: t('2026-07-01T09:30:00Z'), target: { arn: FN, input: '{"who":"alice"}' } }]);
    await expect(client.send(new GetScheduleCommand({ Name: 'call-alice' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    clock.advance(86_400_000);
    expect(fired).toHaveLength(1);
  });

  it('a rate to a FIFO queue fires every period from its creation; disabled by UpdateSchedule it stops; listed by group, state and page', async () => {
    const queue = 'arn:aws:sqs:us-east-1:123456789012:jobs.fifo';
    await client.send(new CreateScheduleCommand(schedule('sweep', { Target: { Arn: queue, RoleArn: ROLE, Input: 'sweep now', SqsParameters: { MessageGroupId: 'g1' } } })));
    await client.send(new CreateScheduleCommand(schedule('other', { State: 'DISABLED' })));
    clock.advance(15 * 60_000);
    expect(fired.map((f) => [f.name, new Date(f.time).toISOString(), f.target.message_group_id, f.target.input])).toEqual([
      ['sweep', '2026-07-01T00:05:00.000Z', 'g1', 'sweep now'],
      ['sweep', '2026-07-01T00:10:00.000Z', 'g1', 'sweep now'],
      ['sweep', '2026-07-01T00:15:00.000Z', 'g1', 'sweep now'],
    ]);
    await client.send(new UpdateScheduleCommand({ ...schedule('sweep', { Target: { Arn: queue, RoleArn: ROLE } }), State: 'DISABLED' }));
    clock.advance(60 * 60_000);
    expect(fired).toHaveLength(3);
    const names: string[] = [];
    for await (const page of paginateListSchedules({ client, pageSize: 1 }, { State: 'DISABLED' })) names.push(...(page.Schedules ?? []).map((s) => `${s.GroupName}/${s.Name}:${s.State}`));
    expect(names).toEqual(['default/other:DISABLED', 'default/sweep:DISABLED']);
    await expect(client.send(new UpdateScheduleCommand(schedule('missing')))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('groups: a schedule needs its group, names are unique in a group, deleting a group deletes its schedules, the default group stays', async () => {
    await expect(client.send(new CreateScheduleCommand(schedule('nightly', { GroupName: 'reports' })))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const group = await client.send(new CreateScheduleGroupCommand({ Name: 'reports' }));
    expect(group.ScheduleGroupArn).toBe('arn:aws:scheduler:us-east-1:123456789012:schedule-group/reports');
    await expect(client.send(new CreateScheduleGroupCommand({ Name: 'reports' }))).rejects.toBeInstanceOf(ConflictException);
    await client.send(new CreateScheduleCommand(schedule('nightly', { GroupName: 'reports', ScheduleExpression: 'cron(0 2 * * ? *)' })));
    await client.send(new CreateScheduleCommand(schedule('nightly')));
    await expect(client.send(new CreateScheduleCommand(schedule('nightly')))).rejects.toBeInstanceOf(ConflictException);
    expect((await client.send(new GetScheduleCommand({ Name: 'nightly', GroupName: 'reports' }))).ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect((await client.send(new GetScheduleGroupCommand({ Name: 'reports' }))).State).toBe('ACTIVE');
    expect((await client.send(new ListScheduleGroupsCommand({}))).ScheduleGroups?.map((g) => g.Name)).toEqual(['default', 'reports']);
    await client.send(new DeleteScheduleGroupCommand({ Name: 'reports' }));
    await expect(client.send(new GetScheduleCommand({ Name: 'nightly', GroupName: 'reports' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect((await client.send(new GetScheduleCommand({ Name: 'nightly' }))).GroupName).toBe('default');
    await expect(client.send(new DeleteScheduleGroupCommand({ Name: 'default' }))).rejects.toBeInstanceOf(ValidationException);
    await client.send(new DeleteScheduleCommand({ Name: 'nightly' }));
    await expect(client.send(new DeleteScheduleCommand({ Name: 'nightly' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses what the service refuses, naming the field', async () => {
    const refused = async (input: CreateScheduleCommandInput) => {
      const err = await client.send(new CreateScheduleCommand(input)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ValidationException);
      return (err as Error).message;
    };
    expect(await refused(schedule('x', { ScheduleExpression: 'rate(0 minutes)' }))).toMatch(/ScheduleExpression: .*at least 1/);
    expect(await refused(schedule('x', { ScheduleExpression: 'at(2026-02-30T10:00:00)' }))).toMatch(/not a date and time/);
    expect(await refused(schedule('x', { ScheduleExpressionTimezone: 'Mars/Olympus' }))).toMatch(/ScheduleExpressionTimezone/);
    expect(await refused(schedule('x', { Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ec2:startInstances', RoleArn: ROLE } }))).toMatch(/Target\.Arn: .* not a target esb runs/);
    expect(await refused(schedule('x', { Target: { Arn: FN, RoleArn: ROLE, Input: 'not json' } }))).toMatch(/well-formed JSON/);
    expect(await refused(schedule('x', { Target: { Arn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders', RoleArn: ROLE } }))).toMatch(/EventBridgeParameters/);
    expect(await refused(schedule('x', { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }))).toMatch(/MaximumWindowInMinutes/);
    expect(await refused(schedule('bad name!'))).toMatch(/Name: .*1-64 letters/);
    expect(await refused(schedule('x', { StartDate: new Date('2026-08-01T00:00:00Z'), EndDate: new Date('2026-07-01T00:00:00Z') }))).toMatch(/EndDate must be after StartDate/);
  });

  it('refuses a schedule past the limits with ServiceQuotaExceededException: a loop creating schedules cannot exhaust memory', async () => {
    await stop();
    server = await startSqsServer({ port: 0, schedulerClock: clock, schedulerLimits: { schedules: 2, bytes: 4096 } });
    client = new SchedulerClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
    await client.send(new CreateScheduleCommand(schedule('one')));
    await client.send(new CreateScheduleCommand(schedule('two')));
    await expect(client.send(new CreateScheduleCommand(schedule('three')))).rejects.toMatchObject({ name: 'ServiceQuotaExceededException', message: expect.stringContaining('at most 2 schedules') });
    await client.send(new DeleteScheduleCommand({ Name: 'two' }));
    await expect(client.send(new CreateScheduleCommand(schedule('big', { Target: { Arn: FN, RoleArn: ROLE, Input: JSON.stringify({ pad: 'x'.repeat(5000) }) } })))).rejects.toMatchObject({ name: 'ServiceQuotaExceededException', message: expect.stringContaining('bytes of schedule definitions') });
    await client.send(new CreateScheduleCommand(schedule('three')));
  });

  it('keeps schedules across a restart; a one-time schedule that came due meanwhile fires when the storage is back; a damaged snapshot is named', async () => {
    await client.send(new CreateScheduleCommand(schedule('soon', { ScheduleExpression: 'at(2026-07-01T01:00:00)', Target: { Arn: 'arn:aws:sns:us-east-1:123456789012:alerts', RoleArn: ROLE, Input: 'wake up' } })));
    await client.send(new CreateScheduleCommand(schedule('window', { ScheduleExpression: 'rate(1 hour)', StartDate: new Date('2026-07-02T00:00:00Z'), EndDate: new Date('2026-07-02T02:30:00Z') })));
    await server.flush();
    await stop();
    clock.advance(2 * 3_600_000);
    await start();
    clock.advance(0); // the timers the load set run
    expect(fired.map((f) => [f.name, f.target.arn, f.target.input])).toEqual([['soon', 'arn:aws:sns:us-east-1:123456789012:alerts', 'wake up']]);
    expect((await client.send(new GetScheduleCommand({ Name: 'window' }))).StartDate).toEqual(new Date('2026-07-02T00:00:00Z'));
    clock.advance(3 * 86_400_000);
    expect(fired.filter((f) => f.name === 'window').map((f) => new Date(f.time).toISOString())).toEqual(['2026-07-02T01:00:00.000Z', '2026-07-02T02:00:00.000Z']);

    await server.flush();
    await stop();
    const file = join(dir, 'schedules.json');
    expect(JSON.parse(await readFile(file, 'utf8')).schedules.map((s: { name: string }) => s.name).sort()).toEqual(['soon', 'window']);
    await writeFile(file, '{"version":1,"groups":[],"schedules":[{"name":3}]}');
    const err = await startSqsServer({ port: 0, directory: dir, schedulerClock: clock }).then(
      (s) => s.close(),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SchedulesSnapshotError);
    expect((err as Error).message).toContain(file);
    await writeFile(file, JSON.stringify({ version: 1, groups: [], schedules: [] }));
    await start();
  });
});
