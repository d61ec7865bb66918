import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateScheduleCommand, GetScheduleCommand, ListSchedulesCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';

const db = new DynamoDBClient({});
const scheduler = new SchedulerClient({});
const json = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
// at(...) takes a wall-clock time with no zone: the schedule's ScheduleExpressionTimezone says which.
const atExpression = (date) => `at(${date.toISOString().slice(0, 19)})`;

export const handler = async (event) => {
  const route = event.routeKey;
  if (route === 'POST /reminders') {
    const { text, inSeconds = 2 } = JSON.parse(event.body ?? '{}');
    if (typeof text !== 'string' || text === '') return json(400, { message: 'text is required' });
    const id = randomUUID();
    await db.send(new PutItemCommand({ TableName: process.env.TABLE, Item: { id: { S: id }, text: { S: text }, sent: { BOOL: false } } }));
    const when = new Date(Date.now() + inSeconds * 1000);
    const { ScheduleArn } = await scheduler.send(
      new CreateScheduleCommand({
        Name: `reminder-${id}`,
        GroupName: process.env.GROUP,
        ScheduleExpression: atExpression(when),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: { Arn: process.env.SEND_ARN, RoleArn: process.env.ROLE_ARN, Input: JSON.stringify({ id, text }) },
      }),
    );
    return json(201, { id, schedule: ScheduleArn });
  }
  if (route === 'GET /reminders/{id}') {
    const id = event.pathParameters.id;
    const item = (await db.send(new GetItemCommand({ TableName: process.env.TABLE, Key: { id: { S: id } } }))).Item;
    if (!item) return json(404, { message: 'no such reminder' });
    let scheduled = true;
    try {
      await scheduler.send(new GetScheduleCommand({ Name: `reminder-${id}`, GroupName: process.env.GROUP }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      scheduled = false;
    }
    return json(200, { id, text: item.text.S, sent: item.sent.BOOL, sentAt: item.sentAt?.S, scheduled });
  }
  if (route === 'GET /schedules') {
    const { Schedules } = await scheduler.send(new ListSchedulesCommand({ ScheduleGroup: process.env.GROUP }));
    return json(200, Schedules.map((s) => ({ name: s.Name, state: s.State, target: s.Target.Arn })));
  }
  return json(404, { message: `no route ${route}` });
};
