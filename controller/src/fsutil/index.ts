export { writeFileAtomic, cleanStaleTmp, isPidAlive, fsyncDir, tmpPathFor } from './atomic.js';
export {
  withDeployLock,
  readLockHolder,
  ApplyLockTimeoutError,
  LOCK_NAME,
  DEFAULT_LOCK_TIMEOUT_MS,
  type LockHolder,
  type DeployLockOptions,
} from './lock.js';
export { stringifyRuntimeYaml, parseRuntimeYaml, parseRuntimeYamlFast } from './runtime-yaml.js';
