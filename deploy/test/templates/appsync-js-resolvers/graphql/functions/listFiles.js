import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'Query',
    query: { expression: 'PK = :pk', expressionValues: util.dynamodb.toMapValues({ ':pk': `FOLDER#${ctx.args.SK}` }) },
  };
}

export function response(ctx) {
  return { ...ctx.stash.folder, files: ctx.result.items };
}
