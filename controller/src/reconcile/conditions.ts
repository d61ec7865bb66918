// Kubernetes-style conditions (metav1.Condition): pure helpers.
import type { Condition, ConditionType } from '@esb/contracts';

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * Sets `next` in `conditions` (replacing the one of the same type). `lastTransitionTime`
 * changes only when the status changes; reason and message always follow `next`.
 */
export function setCondition(conditions: readonly Condition[], next: ConditionInput, now: Date): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const lastTransitionTime =
    existing && existing.status === next.status ? existing.lastTransitionTime : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  if (!existing) return [...conditions, updated];
  return conditions.map((c) => (c.type === next.type ? updated : c));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: ConditionType): boolean {
  return findCondition(conditions, type)?.status === 'True';
}
