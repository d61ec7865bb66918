// Module resolve hook (registered by source-loader.mjs): adds the `esb-source` export condition.
export async function resolve(specifier, context, next) {
  if (context.conditions.includes('esb-source')) return next(specifier, context);
  return next(specifier, { ...context, conditions: [...context.conditions, 'esb-source'] });
}
