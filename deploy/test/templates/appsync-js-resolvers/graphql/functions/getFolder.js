import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return { operation: 'GetItem', key: util.dynamodb.toMapValues({ PK: ctx.args.PK, SK: ctx.args.SK }) };
}

export function response(ctx) {
  ctx.stash.folder = ctx.result;
  return ctx.result;
}
