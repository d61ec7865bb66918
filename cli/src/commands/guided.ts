// `esb deploy --guided`: asks for the stack name and every parameter of the template, as
// `sam deploy --guided` does, checks each answer against its parameter on the spot, and hands
// the answers back to be saved in samconfig (docs/generate.md "Parameters").
import { createInterface } from 'node:readline';
import { checkParameterValue, type ParameterDefinition } from '@esb/deploy';
import { STACK_NAME } from '@esb/contracts';

/** Asks one question; undefined when the input has ended. */
export interface Asker {
  ask(question: string): Promise<string | undefined>;
  say(line: string): void;
}

/** A stack name as CloudFormation takes it; the reason when it is not one. */
export function stackNameProblem(name: string): string | undefined {
  return STACK_NAME.test(name) && name.length <= 128 ? undefined : `"${name}" must be letters, digits, ".", "-", "_" (at most 128)`;
}

/** What a parameter's question says about it: its description and what it accepts. */
function hint(def: ParameterDefinition): string {
  const parts = [def.description, def.allowedValues ? `one of ${def.allowedValues.join(', ')}` : undefined, def.constraintDescription].filter((p): p is string => !!p);
  return parts.length ? ` (${parts.join('; ').replace(/\s+/g, ' ').slice(0, 200)})` : '';
}

/**
 * Asks for the stack name, then for each parameter; Enter keeps the value shown in brackets
 * (the override or samconfig value, else the Default). A parameter with no value must get
 * one; an answer its parameter refuses is asked again with the reason.
 */
export async function askGuided(defs: readonly ParameterDefinition[], current: { stackName: string; parameters: Record<string, string> }, io: Asker): Promise<{ stackName: string; parameters: Record<string, string> }> {
  const ended = (what: string) => new Error(`--guided: the input ended before ${what} had a value`);
  let stackName: string | undefined;
  while (stackName === undefined) {
    const answer = await io.ask(`Stack Name [${current.stackName}]: `);
    if (answer === undefined) throw ended('the stack name');
    const name = answer.trim() || current.stackName;
    const problem = stackNameProblem(name);
    if (problem) io.say(`  ${problem}`);
    else stackName = name;
  }
  const parameters: Record<string, string> = {};
  for (const def of defs) {
    const shown = current.parameters[def.name] ?? def.default;
    for (;;) {
      const bracket = shown === undefined ? '' : ` [${def.noEcho ? '*****' : shown}]`;
      const answer = await io.ask(`Parameter ${def.name}${hint(def)}${bracket}: `);
      if (answer === undefined) throw ended(`parameter ${def.name}`);
      const value = answer.trim() === '' ? shown : answer.trim();
      if (value === undefined) {
        io.say('  a value is needed: the parameter has no Default');
        continue;
      }
      const checked = checkParameterValue(def, value);
      if ('reason' in checked) {
        io.say(`  ${checked.field}: ${checked.reason}`);
        continue;
      }
      parameters[def.name] = value;
      break;
    }
  }
  return { stackName, parameters };
}

/** Questions on `output`, answers read line by line from `input` (a terminal or a pipe). */
export function lineAsker(input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream): Asker & { close(): void } {
  const rl = createInterface({ input, terminal: input.isTTY === true, output: input.isTTY ? output : undefined });
  // Lines that arrive before their question is asked wait here, in order.
  const lines = rl[Symbol.asyncIterator]();
  return {
    async ask(question) {
      output.write(question);
      const next = await lines.next();
      if (next.done) {
        output.write('\n');
        return undefined;
      }
      if (!input.isTTY) output.write('\n');
      return next.value;
    },
    say: (line) => void output.write(`${line}\n`),
    close: () => rl.close(),
  };
}
