import { describe, expect, it } from 'vitest';
import { checkDefinition, fieldPath, translateAslError } from './definition.js';

const errorsOf = (definition: unknown, schema = false) => {
  const result = checkDefinition(definition, { schema });
  return result.ok ? [] : result.errors;
};
const end = { Type: 'Succeed' };

describe('checkDefinition', () => {
  it('takes a valid definition, a copy that later changes to the original do not reach', () => {
    const definition = { Comment: 'c', StartAt: 'A', States: { A: { Type: 'Pass', Result: { x: 1 }, Next: 'B' }, B: end } };
    const result = checkDefinition(definition);
    expect(result).toEqual({ ok: true, definition, warnings: [] });
    definition.States.A.Result.x = 2;
    expect(result.ok && result.definition.States.A.Result).toEqual({ x: 1 });
  });

  it('takes states named like fields, and JSONata states with Output objects, as Step Functions does', () => {
    const named = { StartAt: 'Iterator', States: { Iterator: { Type: 'Pass', Next: 'Next' }, Next: { Type: 'Pass', Next: 'Default' }, Default: { Type: 'Succeed' } } };
    expect(checkDefinition(named)).toMatchObject({ ok: true });
    const jsonata = {
      QueryLanguage: 'JSONata',
      StartAt: 'List',
      States: { List: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:lambda:listFunctions', Arguments: { Marker: '{% $states.input.NextMarker %}' }, Output: { listed: '{% $states.result %}', kept: { arns: '{% $states.input.arns %}' } }, End: true } },
    };
    expect(checkDefinition(jsonata)).toMatchObject({ ok: true });
  });

  it('takes `$.[0]` paths in intrinsic functions, as Step Functions does (an EventBridge Pipes enrichment gets a list)', () => {
    const r = checkDefinition({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'data.$': 'States.StringToJson($.[0].body)' }, End: true } } });
    expect(r).toMatchObject({ ok: true });
  });

  it('names the field of each transition that goes nowhere', () => {
    expect(errorsOf({ StartAt: 'Nope', States: { A: { Type: 'Pass', End: true } } })).toEqual(["StartAt: no state named 'Nope'"]);
    expect(
      errorsOf({
        StartAt: 'Choose',
        States: {
          Choose: { Type: 'Choice', Choices: [{ Variable: '$.a', StringEquals: 'x', Next: 'Gone' }], Default: 'Missing' },
          T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Choose', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Nowhere' }] },
          Done: end,
        },
      }),
    ).toEqual(["States.Choose.Choices[0].Next: no state named 'Gone'", "States.Choose.Default: no state named 'Missing'", "States.T.Catch[0].Next: no state named 'Nowhere'"]);
  });

  it('keeps transitions inside their branch or ItemProcessor', () => {
    expect(
      errorsOf({
        StartAt: 'P',
        States: {
          P: { Type: 'Parallel', Branches: [{ StartAt: 'X', States: { X: { Type: 'Pass', Next: 'Out' }, X2: end } }], Next: 'M' },
          M: { Type: 'Map', ItemProcessor: { StartAt: 'Y', States: { Y: { Type: 'Pass', Next: 'Out' }, Y2: end } }, Next: 'Out' },
          Out: end,
        },
      }),
    ).toEqual(["States.P.Branches[0].States.X.Next: no state named 'Out' in this branch", "States.M.ItemProcessor.States.Y.Next: no state named 'Out' in this ItemProcessor"]);
  });

  it('wants Next or End on each state that is not terminal, and knows the types', () => {
    expect(
      errorsOf({
        StartAt: 'A',
        States: { A: { Type: 'Pass' }, B: { Type: 'Pass', Next: 'A', End: true }, C: { Type: 'Bogus' }, D: { Type: 'Fail', Next: 'A' }, E: { Type: 'Pass', End: false }, F: { Type: 'Choice', Choices: [{ Variable: '$.a', IsPresent: true, Next: 'A' }], Next: 'A' } },
      }),
    ).toEqual([
      'States.A: must have Next or End: true',
      'States.B: has both Next and End: it takes one',
      "States.C.Type: 'Bogus' is not a state type (Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map)",
      'States.D.Next: is not a field of a Fail state',
      'States.E: End must be true (or give Next)',
      'States.F.Next: a Choice state has no Next: each choice rule has its own, and Default names the state for no match',
    ]);
  });

  it('checks choice rules: operators, operand types and nested Next', () => {
    expect(
      errorsOf({
        StartAt: 'C',
        States: {
          C: {
            Type: 'Choice',
            Choices: [
              { Variable: '$.a', StringEquals: 1, Next: 'D' },
              { Variable: '$.a', NumericLessThan: '1', Next: 'D' },
              { Variable: '$.a', TimestampEquals: '2020-01-01', Next: 'D' },
              { Variable: '$.a', BooleanEquals: 'true', Next: 'D' },
              { Variable: '$.a', StringEqualsPath: 'a', Next: 'D' },
              { Variable: 'a', IsNull: 'yes', Next: 'D' },
              { StringEquals: 'x', Next: 'D' },
              { Variable: '$.a', StringEquals: 'x', NumericEquals: 1, Next: 'D' },
              { Not: { Variable: '$.a', IsPresent: true, Next: 'D' }, Next: 'D' },
              { And: [], Next: 'D' },
              { Variable: '$.a', Next: 'D' },
            ],
          },
          D: end,
        },
      }),
    ).toEqual([
      'States.C.Choices[0].StringEquals: must be a string',
      'States.C.Choices[1].NumericLessThan: must be a number',
      'States.C.Choices[2].TimestampEquals: must be a timestamp such as 2016-03-14T01:59:00Z',
      'States.C.Choices[3].BooleanEquals: must be true or false',
      'States.C.Choices[4].StringEqualsPath: must be a Path such as $.a.b',
      'States.C.Choices[5].Variable: must be a Path such as $.a.b',
      'States.C.Choices[5].IsNull: must be true or false',
      'States.C.Choices[6].Variable: missing',
      'States.C.Choices[7]: has StringEquals and NumericEquals: a choice rule has exactly one operator',
      'States.C.Choices[8].Not.Next: only the top-level choice rules have Next',
      'States.C.Choices[9].And: must be a non-empty array of choice rules',
      'States.C.Choices[10]: must have a comparison operator (StringEquals, NumericLessThan, IsPresent, ...) or And, Or, Not',
    ]);
    expect(errorsOf({ StartAt: 'C', States: { C: { Type: 'Choice', Choices: [] }, D: end } })).toEqual(['States.C.Choices: must be a non-empty array of choice rules']);
  });

  it('checks Retry and Catch: ErrorEquals, States.ALL alone and last, the numbers', () => {
    expect(
      errorsOf({
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            End: true,
            Retry: [{ ErrorEquals: ['States.ALL'] }, { ErrorEquals: ['X'], IntervalSeconds: 0, MaxAttempts: -1, BackoffRate: 0.5, MaxDelaySeconds: 1.5, JitterStrategy: 'SOME' }],
            Catch: [{ ErrorEquals: ['States.ALL', 'X'], Next: 'T' }, { ErrorEquals: [], Next: 'T' }],
          },
          P: { Type: 'Pass', End: true, Retry: [] },
        },
      }),
    ).toEqual([
      'States.T.Retry[0].ErrorEquals: States.ALL must be in the last retrier',
      'States.T.Retry[1].IntervalSeconds: must be a positive integer',
      'States.T.Retry[1].MaxAttempts: must be a non-negative integer',
      'States.T.Retry[1].BackoffRate: must be a number of at least 1.0',
      'States.T.Retry[1].MaxDelaySeconds: must be a positive integer',
      'States.T.Retry[1].JitterStrategy: must be FULL or NONE',
      'States.T.Catch[0].ErrorEquals: States.ALL must be alone in its ErrorEquals',
      'States.T.Catch[1].ErrorEquals: must be a non-empty array of error names',
      'States.P.Retry: only Task, Parallel and Map states take Retry',
    ]);
  });

  it('checks Task, Wait, Fail, Parallel and Map fields', () => {
    expect(
      errorsOf({
        StartAt: 'T',
        States: {
          T: { Type: 'Task', End: true, TimeoutSeconds: 10, HeartbeatSeconds: 10 },
          T2: { Type: 'Task', Resource: 'lambda', TimeoutSeconds: 5, TimeoutSecondsPath: '$.t', End: true },
          W: { Type: 'Wait', Seconds: 1, Timestamp: '2020-01-01T00:00:00Z', End: true },
          W2: { Type: 'Wait', End: true },
          W3: { Type: 'Wait', Seconds: -1, End: true },
          F: { Type: 'Fail', Error: 'E', ErrorPath: '$.e' },
          F2: { Type: 'Fail', CausePath: 'States.Format(' },
          P: { Type: 'Parallel', Branches: [], End: true },
          M: { Type: 'Map', End: true },
          M2: { Type: 'Map', ItemProcessor: { StartAt: 'X', States: { X: end } }, Iterator: { StartAt: 'Y', States: { Y: end } }, ItemSelector: {}, Parameters: {}, MaxConcurrency: -1, End: true },
        },
      }),
    ).toEqual([
      'States.T.Resource: missing',
      'States.T.HeartbeatSeconds: must be smaller than TimeoutSeconds',
      'States.T2.Resource: must be an ARN such as arn:aws:states:::lambda:invoke',
      'States.T2: TimeoutSeconds and TimeoutSecondsPath cannot both be set',
      'States.W: must have exactly one of Seconds, Timestamp, SecondsPath and TimestampPath, not Seconds and Timestamp',
      'States.W2: must have exactly one of Seconds, Timestamp, SecondsPath and TimestampPath',
      'States.W3.Seconds: must be a non-negative integer',
      'States.F: Error and ErrorPath cannot both be set',
      'States.F2.CausePath: invalid intrinsic function call: expected an argument at the end',
      'States.P.Branches: must be a non-empty array of branches',
      'States.M: must have ItemProcessor (or the older Iterator)',
      'States.M2: ItemProcessor and Iterator cannot both be set (Iterator is the older name of ItemProcessor)',
      'States.M2: ItemSelector and Parameters cannot both be set (Parameters is the older name of ItemSelector)',
      'States.M2.MaxConcurrency: must be a non-negative integer',
    ]);
  });

  it('checks paths, payload templates, intrinsic calls and variable names', () => {
    expect(
      errorsOf({
        StartAt: 'A',
        States: {
          A: {
            Type: 'Pass',
            InputPath: 'x',
            ResultPath: '$$.x',
            OutputPath: '$.items[?(@.n > 1)]',
            Parameters: { 'a.$': '$.x', a: 1, 'b.$': ['$.y'], nested: [{ 'c.$': 'States.Format(' }], 'd.$': 'nope', 'e.$': 'States.Nope()', 'f.$': 'States.Array($.ok, $$.Map.Item.Value, $v)' },
            Assign: { '1x': 1, states: 2, 'ok.$': '$.a', fine: { 'g.$': '$.b' } },
            End: true,
          },
        },
      }),
    ).toEqual([
      'States.A.InputPath: must be a Path such as $.a.b or null',
      "States.A.ResultPath: must be a Reference Path into the state's input such as $.result (no filters, wildcards, context or variables), or null",
      "States.A.Parameters.a.$: 'a' is also a field: the two would have the same name",
      'States.A.Parameters.b.$: must be a string: a Path or an intrinsic function call, not an array',
      'States.A.Parameters.nested[0].c.$: invalid intrinsic function call: expected an argument at the end',
      "States.A.Parameters.d.$: 'nope' is neither a Path (such as $.a.b, $$.Execution.Id or $variable) nor an intrinsic function call (such as States.Format(...))",
      "States.A.Parameters.e.$: invalid intrinsic function call: 'States.Nope' is not an intrinsic function",
      "States.A.Assign.1x: '1x' is not a variable name (letters, digits and _, not starting with a digit)",
      "States.A.Assign.states: 'states' is reserved (it is $states in JSONata)",
    ]);
  });

  it('keeps JSONPath and JSONata fields apart and compiles JSONata expressions', () => {
    expect(
      errorsOf({
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: {
          A: { Type: 'Pass', InputPath: '$.x', Output: '{% $states.input. %}', Next: 'C' },
          B: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true },
          C: { Type: 'Choice', Choices: [{ Variable: '$.a', IsPresent: true, Next: 'B' }, { Condition: 'yes', Next: 'B' }] },
        },
      }),
    ).toEqual([
      'States.A.InputPath: not allowed with QueryLanguage JSONata (use Arguments)',
      'States.A.Output: invalid JSONata expression: Unexpected end of expression',
      'States.B.QueryLanguage: a state of a JSONata state machine cannot use JSONPath',
      'States.C.Choices[0].Condition: missing',
      'States.C.Choices[0].Variable: not allowed with QueryLanguage JSONata (use Condition)',
      'States.C.Choices[0].IsPresent: not allowed with QueryLanguage JSONata (use Condition)',
      'States.C.Choices[1].Condition: must be a boolean or a JSONata expression {% ... %}',
    ]);
    expect(
      errorsOf({ StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: {}, Output: {}, End: true }, B: { Type: 'Pass', QueryLanguage: 'JSONata', Parameters: {}, End: true } } }),
    ).toEqual(['States.A.Arguments: not allowed with QueryLanguage JSONPath (use Parameters)', 'States.A.Output: not allowed with QueryLanguage JSONPath (use OutputPath or ResultSelector)', 'States.B.Parameters: not allowed with QueryLanguage JSONata (use Arguments)']);
  });

  it('wants state names unique across the whole definition, and fields it knows', () => {
    expect(
      errorsOf({ StartAt: 'A', Extra: 1, States: { A: { Type: 'Parallel', Foo: 1, Branches: [{ StartAt: 'A', Bar: 2, States: { A: { Type: 'Pass', End: true } } }], End: true } } }),
    ).toEqual([
      'Extra: is not a field of a state machine',
      'States.A.Foo: is not a field of a Parallel state',
      'States.A.Branches[0].Bar: is not a field of a Parallel branch',
      "States.A.Branches[0].States.A: a state named 'A' already exists (States.A): state names are unique across the whole definition",
    ]);
  });

  it('rejects ItemReader, and warns of what is accepted but not emulated', () => {
    const processor = { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const distributed = { StartAt: 'M', States: { M: { Type: 'Map', ItemProcessor: processor, ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'p' } }, End: true } } };
    expect(checkDefinition(distributed)).toMatchObject({
      ok: true,
      warnings: [
        'States.M.ItemProcessor.ProcessorConfig.Mode: DISTRIBUTED runs as an inline Map: the iterations are not child executions and there is no Map Run',
        "States.M.ResultWriter: is not emulated: the results are not written to S3 but are the state's result, as in an inline Map",
      ],
    });
    const reading = { StartAt: 'M', States: { M: { Type: 'Map', ItemProcessor: processor, ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'b', Key: 'k' } }, End: true } } };
    expect(errorsOf(reading)).toEqual(['States.M.ItemReader: reading items from S3 (ItemReader) is not emulated: give the items in the state input (ItemsPath or Items) instead']);
    expect(checkDefinition({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Credentials: { RoleArn: 'arn:aws:iam::123456789012:role/r' }, End: true } } })).toMatchObject({
      ok: true,
      warnings: ["States.T.Credentials: is not emulated: the task runs with esb's own access"],
    });
  });

  it("holds to Step Functions' limits: 1 MB, 10,000 states", () => {
    expect(errorsOf({ StartAt: 'A', States: { A: { Type: 'Pass', End: true, Result: 'x'.repeat(1024 * 1024) } } })).toEqual(["(definition): is 1048645 bytes, more than Step Functions' limit of 1048576 (1 MB)"]);
    const states: Record<string, unknown> = {};
    for (let i = 0; i < 10_001; i++) states[`S${i}`] = { Type: 'Succeed' };
    expect(errorsOf({ StartAt: 'S0', States: states })).toEqual(["(definition): has more than 10000 states, Step Functions' limit"]);
    let nested: Record<string, unknown> = { Type: 'Pass', End: true };
    for (let i = 0; i < 20_000; i++) nested = { Type: 'Parallel', Branches: [{ StartAt: `P${i}`, States: { [`P${i}`]: nested } }], End: true };
    expect(errorsOf({ StartAt: 'Top', States: { Top: nested } })).toEqual(['(definition): is nested too deeply']);
    expect(errorsOf([1])).toEqual(['(definition): must be a JSON object']);
    expect(errorsOf(null)).toEqual(['(definition): must be a JSON object']);
  });

  it('then lets asl-validator check the rest, in the same form', () => {
    expect(errorsOf({ StartAt: 'A', States: { A: { Type: 'Pass', End: true }, B: end } }, true)).toEqual(['States.B: is not reachable']);
    expect(errorsOf({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } } })).toEqual(['States: no state ends the execution: one needs End: true, or is a Succeed or Fail state']);
    expect(errorsOf({ StartAt: 'A', States: { A: { Type: 'Pass', Result: 1, Comment: 'fine', ResultPath: '$.a', End: true } } }, true)).toEqual([]);
  });

  it('translates asl-validator messages to field paths', () => {
    const definition = { StartAt: 'A', States: { 'A/b': { Type: 'Choice', Choices: [{ Variable: '$.x', StringEquals: 1 }] }, 'My State': { Type: 'Pass' } } };
    expect(translateAslError({ 'Error code': 'SCHEMA_VALIDATION_FAILED', Message: '/States/A~1b/Choices/0/StringEquals is invalid. must be string' }, definition)).toBe('States.A/b.Choices[0].StringEquals: must be string');
    expect(translateAslError({ 'Error code': 'SCHEMA_VALIDATION_FAILED', Message: ' is invalid. must have required property \'StartAt\'' }, definition)).toBe("(definition): must have required property 'StartAt'");
    expect(translateAslError({ 'Error code': 'MISSING_TRANSITION_TARGET', Message: 'State My State is not reachable' }, definition, (name) => (name === 'My State' ? 'States.My State' : undefined))).toBe('States.My State: is not reachable');
    expect(translateAslError({ 'Error code': 'X', Message: 'Something else' }, definition)).toBe('Something else');
    expect(fieldPath(['States', "it's", 'Choices', 0])).toBe("States['it\\'s'].Choices[0]");
  });
});
