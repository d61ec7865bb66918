// `esb artifact apply` — the stable API the controller calls (docs/apply.md).
export { applyArtifact, codeDirFor, STACKS_FILE, type ApplyOptions, type ApplyReport, type EntryReport } from './apply.js';
export { recordStack, describeTakeover, exportTable, type Takeover, type StackOwner, type OwnedKind } from './stacks.js';
export { mergeConfig, deepEqual, routeKey, RESOURCE_KEYS, type RuntimeConfig, type MergeReport, type MergeResult, type KeyedChanges } from './merge.js';
export { ensureConfigDir, serializeRuntimeConfig, NOTHING_DEPLOYED, type ApplyLog, type InitState, type EnsureConfigDirOptions } from './config-dir.js';
export { loadArtifact, readRuntimeConfig, rewritePaths, refKey, isContainedRelative, RUNTIME_FILES, type LoadedArtifact, type LoadedEntry } from './artifact.js';
export { artifactDigest, hashArtifact, folderHash, scanTree, fileSha256 } from './digest.js';
export { parseSecretEnv, readSecretEnv, fillSecrets, type MissingSecret } from './secrets.js';
export { ArtifactError, DigestMismatchError, SecretMissingError, SecretEnvError, ConfigDirError, ExportConflictError } from './errors.js';
export { ApplyLockTimeoutError, withDeployLock, readLockHolder, LOCK_NAME, DEFAULT_LOCK_TIMEOUT_MS, type LockHolder, type DeployLockOptions } from './lock.js';
export { ConfigDirNotWritableError } from '../layout/index.js';
