// Answers CloudFormation by itself: a PUT of the answer to the presigned ResponseURL.
export const handler = async (event) => {
  const refuse = event.ResourceProperties.Refuse === 'yes';
  const answer = {
    Status: refuse ? 'FAILED' : 'SUCCESS',
    Reason: refuse ? 'the guard refuses this deploy (RefuseDeploy=yes)' : 'ok',
    PhysicalResourceId: event.PhysicalResourceId ?? `guard-${event.RequestId}`,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: { Request: event.RequestType },
  };
  const res = await fetch(event.ResponseURL, { method: 'PUT', body: JSON.stringify(answer) });
  if (!res.ok) throw new Error(`answer refused: ${res.status}`);
};
