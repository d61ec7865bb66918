// Types of appsync-schema.mjs for TypeScript (the gateway's subscriptions).
import type { GraphQLSchema } from 'graphql';

export type AppSyncAuthType = 'API_KEY' | 'AWS_IAM' | 'AMAZON_COGNITO_USER_POOLS' | 'OPENID_CONNECT' | 'AWS_LAMBDA';
export const AUTH_DIRECTIVES: Readonly<Record<string, AppSyncAuthType>>;
export const PRELUDE: { scalars: string[]; directives: Record<string, string> };
/** The schema, with AppSync's definitions and scalars; throws when it does not build. */
export function buildApiSchema(sdl: string): GraphQLSchema;
/** The auth directives of a field or type (its AST node). */
export function authOf(node: unknown): Array<{ mode: AppSyncAuthType; groups?: string[] }>;
/** The Subscription fields with `@aws_subscribe`: field name -> the mutations it gets the results of. */
export function subscribedMutations(schema: GraphQLSchema): Map<string, string[]>;
