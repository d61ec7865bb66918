// scripts/kube-test-apiserver/start.sh: starts the test API server (crds/ applied), prints how
// to reach it, and stops everything cleanly on Ctrl-C / SIGTERM.
import { startTestApiServer } from './apiserver.js';

const api = await startTestApiServer();
process.stdout.write(
  `kube test API server ready at ${api.server}\n` +
    `  export KUBECONFIG=${api.kubeconfigPath}\n` +
    `  (data and logs in ${api.dir}; removed on exit)\n` +
    `Ctrl-C to stop.\n`,
);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await api.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
setInterval(() => {}, 1 << 30);
