// CloudWatch Logs subscriptions read from a template (docs/agent.md "Log subscriptions"): SAM's
// CloudWatchLogs events and AWS::Logs::SubscriptionFilter to a function become `logs` events;
// a destination that is not a function is said; a bad pattern names the field.
import { describe, expect, it } from 'vitest';
import { parseSamTemplate } from './template.js';
import { templateErrorOf } from './testkit.js';

const template = (extra: string, pattern = "'{ $.level = \"ERROR\" }'") => `Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: nodejs20.x, Handler: a.h, InlineCode: x}
Resources:
  Worker:
    Type: AWS::Serverless::Function
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub '/aws/lambda/\${Worker}'}
  Alerter:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Errors: {Type: CloudWatchLogs, Properties: {LogGroupName: !Ref Logs, FilterPattern: ${pattern}}}
${extra}`;

describe('log subscriptions of a template', () => {
  it('a CloudWatchLogs event and a SubscriptionFilter to a function are logs events of it', () => {
    const m = parseSamTemplate(template(`  Collector:\n    Type: AWS::Serverless::Function\n  All:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties: {DestinationArn: !GetAtt Collector.Arn, FilterName: everything, FilterPattern: '', LogGroupName: !Ref Logs}\n`), { file: 't.yml', stackName: 's' });
    const events = (id: string) => m.functions.find((f) => f.logicalId === id)!.events;
    expect(events('Alerter')).toEqual([{ type: 'logs', name: 'AlerterErrors', log_group: '/aws/lambda/s-Worker', filter_pattern: '{ $.level = "ERROR" }' }]);
    expect(events('Collector')).toEqual([{ type: 'logs', name: 'All', log_group: '/aws/lambda/s-Worker', filter_pattern: '', filter_name: 'everything' }]);
    expect(m.warnings.join('\n')).not.toMatch(/SubscriptionFilter|CloudWatchLogs/);
  });

  it('a Kinesis or Firehose destination is not run (a warning); a pattern esb cannot read names the field', () => {
    const m = parseSamTemplate(template(`  ToStream:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties: {DestinationArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/logs', FilterPattern: '', LogGroupName: !Ref Logs}\n`), { file: 't.yml', stackName: 's' });
    expect(m.warnings).toContain('ToStream: DestinationArn "arn:aws:kinesis:us-east-1:123456789012:stream/logs" is not a function of this template (Kinesis and Firehose destinations are not run); not run');
    const err = templateErrorOf(() => parseSamTemplate(template('', "'[ip, user]'"), { file: 't.yml', stackName: 's' }));
    expect([err.logicalId, err.field, err.reason]).toEqual(['Alerter', 'Events.Errors.Properties.FilterPattern', expect.stringMatching(/space-delimited patterns/)]);
  });
});
