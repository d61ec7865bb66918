// The names of an SNS topic in each form code meets them (docs/sns.md): a template's `!Ref Topic`
// is its ARN and `!GetAtt Topic.TopicName` its name; Publish takes the ARN.
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './defaults.js';

/** `arn:aws:sns:<region>:<account>:<topic>`: what a template's `!Ref Topic` gives. */
export function topicArn(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:sns:${region}:${account}:${name}`;
}

/** A topic name as SNS takes it: 1-256 letters, digits, `-` and `_`, `.fifo` at the end of a FIFO topic's. */
export const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$|^[A-Za-z0-9_-]{1,251}\.fifo$/;

/** The topic a topic ARN names; undefined for anything else. */
export function topicNameOf(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:sns:[a-z0-9-]*:\d{12}:([A-Za-z0-9_.-]+)$/.exec(arn);
  return m && TOPIC_NAME.test(m[1]) ? m[1] : undefined;
}
