// The EventBridge Scheduler API (REST JSON: the method and path name the operation, the name is in
// the path, the group and paging in the query) in front of the schedule model (schedules.ts).
import { SchedulerError, type ScheduleStore } from './schedules.js';

export const SCHEDULER_CONTENT_TYPE = 'application/json';

/** Runs one request; throws SchedulerError for what the service would refuse. */
export function runSchedulerRequest(store: ScheduleStore, method: string, url: URL, body: unknown): unknown {
  const q = (name: string) => url.searchParams.get(name) ?? undefined;
  const [, collection, rawName, ...rest] = url.pathname.split('/');
  if (rest.length > 0) throw unknownOperation(method, url.pathname);
  let name: string | undefined;
  try {
    name = rawName === undefined || rawName === '' ? undefined : decodeURIComponent(rawName);
  } catch {
    throw new SchedulerError('ValidationException', `the name in ${url.pathname} is not valid percent-encoding`);
  }
  if (collection === 'schedules') {
    if (name === undefined) {
      if (method === 'GET') return store.list({ ScheduleGroup: q('ScheduleGroup'), NamePrefix: q('NamePrefix'), State: q('State'), MaxResults: q('MaxResults'), NextToken: q('NextToken') });
      throw unknownOperation(method, url.pathname);
    }
    if (method === 'POST') return store.create(name, body);
    if (method === 'PUT') return store.update(name, body);
    if (method === 'GET') return store.get(name, q('groupName'));
    if (method === 'DELETE') return store.delete(name, q('groupName'));
  }
  if (collection === 'schedule-groups') {
    if (name === undefined) {
      if (method === 'GET') return store.listGroups({ NamePrefix: q('NamePrefix'), MaxResults: q('MaxResults'), NextToken: q('NextToken') });
      throw unknownOperation(method, url.pathname);
    }
    if (method === 'POST') return store.createGroup(name, body);
    if (method === 'GET') return store.getGroup(name);
    if (method === 'DELETE') return store.deleteGroup(name);
  }
  throw unknownOperation(method, url.pathname);
}

function unknownOperation(method: string, path: string): SchedulerError {
  return new SchedulerError('ValidationException', `${method} ${path.slice(0, 200)} is not an operation of esb's EventBridge Scheduler (schedules and schedule groups; tags are not emulated, docs/eventbridge.md)`);
}
