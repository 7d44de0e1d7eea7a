/** accountOfFunction: a function's account and region from the ARN Lambda invokes it by. */
import type { Context } from 'aws-lambda';
import { accountOfFunction } from '../../../lib/runtime/lambda';

const withArn = (invokedFunctionArn: string) => ({ invokedFunctionArn }) as Context;

describe('accountOfFunction', () => {
  it.each([
    [
      'arn:aws:lambda:us-east-1:123456789012:function:buildwarden-prod-verdictApi',
      'us-east-1',
      '123456789012',
    ],
    [
      'arn:aws:lambda:eu-west-1:210987654321:function:buildwarden-prod-onChange:live',
      'eu-west-1',
      '210987654321',
    ],
    [
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:buildwarden-prod-onScan',
      'cn-north-1',
      '123456789012',
    ],
    ['arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:7', 'us-gov-west-1', '123456789012'],
  ])('reads %s as region %s, account %s', (arn, region, accountId) => {
    // Act
    const account = accountOfFunction(withArn(arn));

    // Assess
    expect(account).toEqual({ accountId, region });
  });

  it.each([
    ['no context', undefined],
    ['an ARN of another service', withArn('arn:aws:sns:us-east-1:123456789012:topic')],
    ['an account id that is not 12 digits', withArn('arn:aws:lambda:us-east-1:1234:function:f')],
    ['an empty ARN', withArn('')],
  ])('knows nothing from %s (the account is then asked of STS)', (_case, context) => {
    // Act
    const account = accountOfFunction(context);

    // Assess
    expect(account).toBeUndefined();
  });
});
