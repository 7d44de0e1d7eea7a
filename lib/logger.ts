/**
 * The one structured logger of the Lambda functions. Each invocation starts its context
 * (lib/runtime/lambda.ts `beginInvocation`): the request id and the cold-start flag on every line.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'buildwarden' });
