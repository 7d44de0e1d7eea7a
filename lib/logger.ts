/** The one structured logger of the Lambda functions. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'buildwarden' });
