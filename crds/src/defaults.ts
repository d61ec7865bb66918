// The local account every part of esb pretends to be, in one place: the region, account id
// and credentials that SAM intrinsics, API Gateway events, function ARNs, the functions' SDKs
// and the provisioner use when nothing else is configured. They must agree: DynamoDB Local
// (without -sharedDb) keeps one database per access key and region, so a provisioner and a
// function with different keys would not see each other's tables.

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '123456789012';
export const LOCAL_CREDENTIALS: Readonly<Credentials> = Object.freeze({ accessKeyId: 'esb-local', secretAccessKey: 'esb-local' });
