export { writeFileAtomic, cleanStaleTmp, isPidAlive, fsyncDir, tmpPathFor } from '@esb/contracts';
export {
  withDeployLock,
  readLockHolder,
  ApplyLockTimeoutError,
  LOCK_NAME,
  DEFAULT_LOCK_TIMEOUT_MS,
  type LockHolder,
  type DeployLockOptions,
} from '@esb/deploy';
export { stringifyRuntimeYaml, parseRuntimeYaml, parseRuntimeYamlFast } from '@esb/contracts';
