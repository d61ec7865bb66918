// Command-line numbers of the benchmark scripts.

/** The number after `flag` (`--runs 3`); `dflt` when the flag is absent. A value that is not a number is an error. */
export function numberFlag(argv: readonly string[], flag: string, dflt: number): number;
export function numberFlag(argv: readonly string[], flag: string): number | undefined;
export function numberFlag(argv: readonly string[], flag: string, dflt?: number): number | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return dflt;
  const n = Number(argv[i + 1]);
  if (argv[i + 1] === undefined || Number.isNaN(n)) throw new Error(`${flag} needs a number, got ${argv[i + 1] ?? 'nothing'}`);
  return n;
}

/** The first argument that is a plain number (`generate.bench.ts 5`), skipping flags such as --quick; `dflt` when there is none. */
export function firstNumber(argv: readonly string[], dflt: number): number {
  const found = argv.find((a) => /^\d+(\.\d+)?$/.test(a));
  return found === undefined ? dflt : Number(found);
}
