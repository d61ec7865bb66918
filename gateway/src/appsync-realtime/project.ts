// What a subscriber gets of a published mutation result (docs/appsync.md, "Subscriptions"): the
// subscription's arguments filter (each given one must equal the result's field of that name),
// then the result is cut to the subscription's selection set. A field the mutation did not
// select is null, as AppSync answers it.
import {
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
  type SelectionNode,
} from 'graphql';

export interface Selection {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether two argument values are the same (an ID given as 1 or "1" is one value). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return String(a) === String(b) && (typeof a === 'string' || typeof b === 'string');
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** AppSync's basic filtering: every argument the subscription gave equals the result's field of that name. */
export function matchesArguments(args: Record<string, unknown>, data: unknown): boolean {
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (!isRecord(data) || !same(value, data[name])) return false;
  }
  return true;
}

function included(node: SelectionNode, sel: Selection): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, sel.variables)?.if === true) return false;
  if (getDirectiveValues(GraphQLIncludeDirective, node, sel.variables)?.if === false) return false;
  return true;
}

/** Whether a fragment's type condition holds for a value of this concrete type (unknown: only conditions on the field's own type). */
function applies(sel: Selection, condition: string | undefined, concrete: string | undefined, declared: string): boolean {
  if (!condition || condition === concrete || condition === declared) return true;
  const cond = sel.schema.getType(condition);
  const type = concrete ? sel.schema.getType(concrete) : undefined;
  return Boolean(cond && isAbstractType(cond) && type && isObjectType(type) && sel.schema.isSubType(cond, type));
}

function merge(into: Record<string, unknown>, key: string, value: unknown): void {
  const prev = into[key];
  if (isRecord(prev) && isRecord(value)) for (const [k, v] of Object.entries(value)) merge(prev, k, v);
  else if (!(key in into) || prev === null) into[key] = value;
}

/** A value of this type cut to this selection set. */
export function project(sel: Selection, type: GraphQLOutputType, value: unknown, selectionSet: SelectionSetNode | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (isNonNullType(type)) return project(sel, type.ofType, value, selectionSet);
  if (isListType(type)) return Array.isArray(value) ? value.map((v) => project(sel, type.ofType, v, selectionSet)) : null;
  if (isLeafType(type) || !selectionSet) return value;
  if (!isRecord(value)) return null;
  const named = getNamedType(type);
  const concrete = isObjectType(named) ? named.name : typeof value.__typename === 'string' ? value.__typename : undefined;
  const out: Record<string, unknown> = {};
  collect(sel, named.name, concrete, value, selectionSet, out);
  return out;
}

function collect(sel: Selection, declared: string, concrete: string | undefined, value: Record<string, unknown>, selectionSet: SelectionSetNode, out: Record<string, unknown>): void {
  const owner = sel.schema.getType(concrete ?? declared) ?? sel.schema.getType(declared);
  const fields = owner && 'getFields' in owner ? (owner.getFields() as Record<string, { type: GraphQLOutputType }>) : {};
  for (const node of selectionSet.selections) {
    if (!included(node, sel)) continue;
    if (node.kind === Kind.FIELD) {
      const key = node.alias?.value ?? node.name.value;
      if (node.name.value === '__typename') merge(out, key, concrete ?? null);
      else {
        const def = fields[node.name.value];
        merge(out, key, def ? project(sel, def.type, value[node.name.value], node.selectionSet) : null);
      }
    } else if (node.kind === Kind.INLINE_FRAGMENT) {
      if (applies(sel, node.typeCondition?.name.value, concrete, declared)) collect(sel, declared, concrete, value, node.selectionSet, out);
    } else {
      const fragment = sel.fragments[node.name.value];
      if (fragment && applies(sel, fragment.typeCondition.name.value, concrete, declared)) collect(sel, declared, concrete, value, fragment.selectionSet, out);
    }
  }
}
