// Test helpers of the template reader (not part of the runtime API).
import { SamTemplateError } from './errors.js';

/** The SamTemplateError `fn` throws; fails the test when it throws nothing or something else. */
export function templateErrorOf(fn: () => unknown): SamTemplateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SamTemplateError) return e;
    throw e;
  }
  throw new Error('expected a SamTemplateError');
}
