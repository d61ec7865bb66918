// The options Lambda's Node runtime starts node with, for both drivers that start node
// (docs/agent.md, "Who may use an instance's Runtime API, isolation, environment").

/**
 * V8's heap as Lambda's Node runtime sizes it from MemorySize: a tenth for the young generation
 * (half of it a semi-space), the rest for the old one. Without it V8 sizes its heap from the
 * machine's memory (or twice a container's limit) and collects too late, so a function that
 * Lambda runs at 128 MB would reach the limit here. The other two are Lambda's too: `global.gc`
 * exists, headers up to 80 KiB.
 */
export function lambdaNodeOptions(memoryMb: number): string[] {
  const youngMb = Math.floor(memoryMb / 10);
  return ['--expose-gc', '--max-http-header-size=81920', `--max-semi-space-size=${Math.floor(youngMb / 2)}`, `--max-old-space-size=${memoryMb - youngMb}`];
}
