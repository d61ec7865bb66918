import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const SK = util.autoId();
  return { operation: 'PutItem', key: util.dynamodb.toMapValues({ PK: ctx.args.PK, SK }), attributeValues: util.dynamodb.toMapValues({ name: ctx.args.name }) };
}

export function response(ctx) {
  return ctx.result;
}
