import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askGuided, lineAsker, type Asker } from './guided.js';
import type { ParameterDefinition } from '@esb/deploy';

/** Answers from a list, questions and remarks recorded. */
function scripted(answers: string[]): Asker & { transcript: string[] } {
  const transcript: string[] = [];
  return {
    transcript,
    ask: async (q) => {
      transcript.push(q);
      return answers.shift();
    },
    say: (line) => void transcript.push(line),
  };
}

const defs: ParameterDefinition[] = [
  { name: 'Email', type: 'String', noEcho: false, description: 'who is told', allowedPattern: '[^@]+@[^@]+' },
  { name: 'Token', type: 'String', noEcho: true, default: 'hidden' },
  { name: 'Size', type: 'Number', noEcho: false, default: '2', minValue: 1 },
];

describe('esb deploy --guided questions', () => {
  it('asks the stack name then each parameter; Enter keeps the value in brackets; refused answers are asked again with the reason', async () => {
    const io = scripted(['bad name!', '', '', 'nope', 'me@x.io', '', '0', '5']);
    expect(await askGuided(defs, { stackName: 'shop', parameters: { Size: '3' } }, io)).toEqual({ stackName: 'shop', parameters: { Email: 'me@x.io', Token: 'hidden', Size: '5' } });
    expect(io.transcript).toEqual([
      'Stack Name [shop]: ',
      '  "bad name!" must be letters, digits, ".", "-", "_" (at most 128)',
      'Stack Name [shop]: ',
      'Parameter Email (who is told): ',
      '  a value is needed: the parameter has no Default',
      'Parameter Email (who is told): ',
      '  AllowedPattern: value "nope" does not match [^@]+@[^@]+',
      'Parameter Email (who is told): ',
      'Parameter Token [*****]: ',
      'Parameter Size [3]: ',
      '  MinValue: value 0 is below 1',
      'Parameter Size [3]: ',
    ]);
  });

  it('fails naming the parameter when the input ends before it has a value', async () => {
    await expect(askGuided(defs, { stackName: 'shop', parameters: {} }, scripted(['', '']))).rejects.toThrow('--guided: the input ended before parameter Email had a value');
  });

  it('reads answers from a pipe line by line, lines sent before their question included', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (c: Buffer) => (shown += c.toString()));
    input.end('first\nsecond\n');
    const asker = lineAsker(input, output);
    expect(await asker.ask('one? ')).toBe('first');
    expect(await asker.ask('two? ')).toBe('second');
    expect(await asker.ask('three? ')).toBeUndefined();
    asker.close();
    expect(shown).toBe('one? \ntwo? \nthree? \n');
  });
});
