// The workspace that `esb dev`, `esb controller`, `esb deploy`, `esb get` and `esb describe`
// share: the current folder by default, `--workspace DIR` (or ESB_WORKSPACE, read by the CLI) otherwise.
import path from 'node:path';

export interface WorkspacePaths {
  workspace: string;
  /** Where the file backend reads Deployment manifests. */
  deploymentsDir: string;
  /** Status records, one per Deployment (`<namespace>/<name>.yaml`). */
  statusDir: string;
  /** Embedded DynamoDB/S3 data. */
  dataDir: string;
  /** Per-function logs of the agent. */
  logDir: string;
  /** Ports and URLs of a running `esb dev`, for the other commands. */
  runtimeFile: string;
}

export function workspacePaths(workspace: string | undefined, deploymentsDir?: string): WorkspacePaths {
  const root = path.resolve(workspace ?? process.cwd());
  return {
    workspace: root,
    deploymentsDir: path.resolve(root, deploymentsDir ?? 'deployments'),
    statusDir: path.join(root, '.esb', 'status'),
    dataDir: path.join(root, '.esb', 'data'),
    logDir: path.join(root, '.esb', 'logs'),
    runtimeFile: path.join(root, '.esb', 'dev.json'),
  };
}
