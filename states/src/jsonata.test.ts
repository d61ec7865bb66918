import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StatesError } from './errors.js';
import { execute, fakeEnv, oneState } from './testing.js';
import { evaluateJsonataTemplate, jsonataExpression } from './jsonata.js';

const LAMBDA = 'arn:aws:states:::lambda:invoke';
const JSONATA = { QueryLanguage: 'JSONata' };
const data = (input: unknown, variables: Record<string, unknown> = {}) => ({ states: { input, context: { Execution: { Id: 'e' } } }, variables });

describe('JSONata expressions', () => {
  it('recognises {% %} strings only', () => {
    expect(jsonataExpression('{% $states.input %}')).toBe(' $states.input ');
    expect(jsonataExpression('  {% 1 %}  ')).toBe(' 1 ');
    expect(jsonataExpression('{% 1')).toBeUndefined();
    expect(jsonataExpression('text {% 1 %}')).toBeUndefined();
    expect(jsonataExpression(5)).toBeUndefined();
  });

  it('fills templates: expressions anywhere, other values as they are', async () => {
    const template = { a: '{% $states.input.x + 1 %}', list: ['{% $v %}', 'plain', 3], nested: { id: '{% $states.context.Execution.Id %}' } };
    expect(await evaluateJsonataTemplate(template, data({ x: 1 }, { v: 'var' }), 'Output')).toEqual({ a: 2, list: ['var', 'plain', 3], nested: { id: 'e' } });
    // A JSONata sequence is a plain array in the output.
    expect(await evaluateJsonataTemplate('{% $states.input.items.n %}', data({ items: [{ n: 1 }, { n: 2 }] }), 'Output')).toEqual([1, 2]);
  });

  it('fails with States.QueryEvaluationError on an error, on nothing, on a function', async () => {
    const failure = async (expression: string) => {
      try {
        await evaluateJsonataTemplate(expression, data({}), 'Output');
      } catch (err) {
        return err instanceof StatesError ? `${err.error}: ${err.cause}` : `not a StatesError: ${String(err)}`;
      }
      return 'no error';
    };
    expect(await failure('{% $states.input.missing %}')).toBe("States.QueryEvaluationError: The JSONata expression ' $states.input.missing ' specified for the field 'Output' returned nothing (undefined).");
    expect(await failure('{% $number("x") %}')).toMatch(/^States.QueryEvaluationError: An error occurred while evaluating the JSONata expression/);
    expect(await failure('{% function($x) { $x } %}')).toMatch(/returned an unsupported result type/);
    expect(await failure('{% ( %}')).toMatch(/is invalid/);
  });

  it('stops an expression that would run forever', async () => {
    const started = Date.now();
    const message = await evaluateJsonataTemplate('{% ($f := function($x) { $f($x + 1) }; $f(0)) %}', data({}), 'Output').catch((err: StatesError) => err.cause);
    expect(message).toMatch(/Evaluation timeout|Stack overflow|stack/i);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("has Step Functions' functions: $partition, $range, $hash, $random, $uuid, $parse", async () => {
    const value = (expression: string) => evaluateJsonataTemplate(`{% ${expression} %}`, data({}), 'Output');
    expect(await value('$partition([1,2,3,4,5], 2)')).toEqual([[1, 2], [3, 4], [5]]);
    expect(await value('$range(0, 10, 5)')).toEqual([0, 5, 10]);
    expect(await value('$hash("input data", "SHA-256")')).toBe(createHash('sha256').update('input data').digest('hex'));
    expect(await value('$random(7) = $random(7)')).toBe(true);
    expect(await value('$random()')).toBeLessThan(1);
    expect(await value('$uuid()')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await value('$parse("{\\"a\\": [1]}")')).toEqual({ a: [1] });
    await expect(value('$range(0, 5000, 1)')).rejects.toMatchObject({ error: 'States.QueryEvaluationError' });
  });
});

describe('JSONata states', () => {
  it('shapes a Task with Arguments and Output ($states.input, $states.result, $states.context)', async () => {
    const env = fakeEnv({ [LAMBDA]: (c) => ({ Payload: { echoed: c.input } }) });
    const outcome = await execute(
      oneState({ Type: 'Task', Resource: LAMBDA, Arguments: { FunctionName: 'f', Payload: { id: '{% $states.input.id %}', token: '{% $states.context.Task.Token %}' } }, Output: '{% $states.result.Payload.echoed %}' }, JSONATA),
      { id: 7 },
      env,
    );
    expect(env.calls[0].input).toEqual({ FunctionName: 'f', Payload: { id: 7, token: 'token-1' } });
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { FunctionName: 'f', Payload: { id: 7, token: 'token-1' } } });
  });

  it("outputs a Task's result by default and a Pass state's input", async () => {
    expect(await execute(oneState({ Type: 'Task', Resource: LAMBDA }, JSONATA), { a: 1 }, fakeEnv({ [LAMBDA]: () => 'result' }))).toEqual({ status: 'SUCCEEDED', output: 'result' });
    expect(await execute(oneState({ Type: 'Pass' }, JSONATA), { a: 1 })).toEqual({ status: 'SUCCEEDED', output: { a: 1 } });
  });

  it('assigns variables and reads them as $name; Assign and Output see the values from before', async () => {
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { count: '{% $states.input.start %}' }, Next: 'B' },
        B: { Type: 'Pass', Assign: { count: '{% $count + 1 %}' }, Output: { before: '{% $count %}' }, Next: 'C' },
        C: { Type: 'Pass', Output: { after: '{% $count %}', previous: '{% $states.input.before %}' }, End: true },
      },
    };
    expect(await execute(definition, { start: 10 })).toEqual({ status: 'SUCCEEDED', output: { after: 11, previous: 10 } });
  });

  it('chooses with Condition, with the rule\'s Output and Assign', async () => {
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [{ Condition: '{% $states.input.n > 10 %}', Next: 'Big', Output: { size: 'big' }, Assign: { seen: '{% $states.input.n %}' } }],
          Default: 'Small',
          Output: { size: 'small' },
        },
        Big: { Type: 'Pass', Output: '{% $merge([$states.input, {"seen": $seen}]) %}', End: true },
        Small: { Type: 'Succeed' },
      },
    };
    expect(await execute(definition, { n: 20 })).toEqual({ status: 'SUCCEEDED', output: { size: 'big', seen: 20 } });
    expect(await execute(definition, { n: 2 })).toEqual({ status: 'SUCCEEDED', output: { size: 'small' } });
    const notBoolean = { QueryLanguage: 'JSONata', StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Condition: '{% "yes" %}', Next: 'D' }] }, D: { Type: 'Succeed' } } };
    expect(await execute(notBoolean)).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError' });
  });

  it('maps Items with ItemSelector and $states.context.Map.Item', async () => {
    const outcome = await execute(
      oneState(
        {
          Type: 'Map',
          Items: '{% $states.input.orders %}',
          ItemSelector: { order: '{% $states.context.Map.Item.Value %}', index: '{% $states.context.Map.Item.Index %}' },
          MaxConcurrency: '{% 2 %}',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $states.input.order & "#" & $states.input.index %}', End: true } } },
          Output: { results: '{% $states.result %}' },
        },
        JSONATA,
      ),
      { orders: ['a', 'b'] },
    );
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { results: ['a#0', 'b#1'] } });
  });

  it('catches with $states.errorOutput, waits and fails with expressions', async () => {
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: LAMBDA, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'W', Output: { caught: '{% $states.errorOutput.Error %}', input: '{% $states.input %}' } }], End: true },
        W: { Type: 'Wait', Seconds: '{% $states.input.input.delay %}', Next: 'F' },
        F: { Type: 'Fail', Error: '{% "Wrapped." & $states.input.caught %}', Cause: 'done' },
      },
    };
    const env = fakeEnv({ [LAMBDA]: () => Promise.reject(new StatesError('Boom', 'x')) });
    expect(await execute(definition, { delay: 3 }, env)).toEqual({ status: 'FAILED', error: 'Wrapped.Boom', cause: 'done' });
    expect(env.sleeps).toEqual([3000]);
  });

  it('runs a JSONata state in a JSONPath machine', async () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'x.$': '$.x' }, Next: 'B' }, B: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.x * 2 %}', End: true } } };
    expect(await execute(definition, { x: 21 })).toEqual({ status: 'SUCCEEDED', output: 42 });
  });

  it('fails the state with States.QueryEvaluationError, which a Catch takes', async () => {
    const env = fakeEnv({ [LAMBDA]: () => ({}) });
    const failing = oneState({ Type: 'Task', Resource: LAMBDA, Output: '{% $states.result.missing %}' }, JSONATA);
    expect(await execute(failing, {}, env)).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError', cause: expect.stringContaining("An error occurred while executing the state 'S'") });
    expect(env.events.map((e) => e.type)).toContain('EvaluationFailed');
    const caught = {
      QueryLanguage: 'JSONata',
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: LAMBDA, Output: '{% $states.result.missing %}', Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Next: 'Ok' }], End: true }, Ok: { Type: 'Pass', Output: '{% $states.input.Error %}', End: true } },
    };
    expect(await execute(caught, {}, fakeEnv({ [LAMBDA]: () => ({}) }))).toEqual({ status: 'SUCCEEDED', output: 'States.QueryEvaluationError' });
  });
});
