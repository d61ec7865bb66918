// Answers approval requests the workflow sends with its task token: up to 1000 is approved, more
// is rejected (the workflow catches "Rejected").
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';

const sfn = new SFNClient({});

export const handler = async (event) => {
  for (const record of event.Records) {
    const request = JSON.parse(record.body);
    if (request.total > 1000) {
      await sfn.send(new SendTaskFailureCommand({ taskToken: request.token, error: 'Rejected', cause: `order ${request.id} is over 1000` }));
    } else {
      await sfn.send(new SendTaskSuccessCommand({ taskToken: request.token, output: JSON.stringify({ approvedBy: 'approver', id: request.id }) }));
    }
  }
};
