import {
  InvalidPolicyError,
  normalizeStatements,
  statementLabel,
} from '../../../../lib/policy/iam/statements';

describe('normalizeStatements', () => {
  it('turns single strings into arrays and keeps Sid, Effect and index', () => {
    // Prepare
    const document = { Statement: { Sid: 'Push', Effect: 'Allow', Action: 'ecr:PutImage', Resource: '*' } };

    // Act
    const [statement] = normalizeStatements(document);

    // Assess
    expect(statement).toEqual({
      index: 0,
      sid: 'Push',
      effect: 'Allow',
      actions: ['ecr:PutImage'],
      resources: ['*'],
      conditions: [],
      policyVariables: false,
    });
  });

  it('flattens Condition blocks into operator, key and string values', () => {
    // Prepare
    const document = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'codebuild.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '111122223333' },
            Bool: { 'aws:SecureTransport': true },
          },
        },
      ],
    };

    // Act
    const [statement] = normalizeStatements(document);

    // Assess
    expect(statement!.conditions).toEqual([
      { operator: 'StringEquals', key: 'aws:SourceAccount', values: ['111122223333'] },
      { operator: 'Bool', key: 'aws:SecureTransport', values: ['true'] },
    ]);
    expect(statement!.principal).toEqual({ Service: ['codebuild.amazonaws.com'] });
  });

  it('keeps a "*" Principal as "*"', () => {
    // Prepare
    const document = { Statement: [{ Effect: 'Deny', Principal: '*', Action: 'ecr:*' }] };

    // Act
    const [statement] = normalizeStatements(document);

    // Assess
    expect(statement!.principal).toBe('*');
  });

  it.each([
    [{ Effect: 'allow', Action: 'ecr:*', Resource: '*' }, /Effect must be "Allow" or "Deny"/],
    [{ Effect: 'Allow', Resource: '*' }, /exactly one of Action and NotAction/],
    [
      { Effect: 'Allow', Action: 'a:b', NotAction: 'a:c', Resource: '*' },
      /exactly one of Action and NotAction/,
    ],
    [{ Effect: 'Allow', Action: 'a:b', Resource: '*', NotResource: '*' }, /both Resource and NotResource/],
    [
      { Effect: 'Allow', Action: ['a:b', 3], Resource: '*' },
      /Action must be a string or an array of strings/,
    ],
    [{ Effect: 'Allow', Action: 'a:b', Resource: '*', Condition: 'x' }, /Condition must be an object/],
  ])('rejects malformed statement %j', (statement, message) => {
    // Act
    const act = () => normalizeStatements({ Statement: [statement] }, 'inline-ci');

    // Assess
    expect(act).toThrow(InvalidPolicyError);
    expect(act).toThrow(message);
  });

  it('rejects a document without Statement, naming the policy', () => {
    // Act
    const act = () => normalizeStatements({ Version: '2012-10-17', Statement: undefined }, 'empty-policy');

    // Assess
    expect(act).toThrow('policy empty-policy is invalid: has no Statement');
  });
});

describe('statementLabel', () => {
  it('prefers the Sid and falls back to the index', () => {
    // Act
    const labels = [statementLabel({ sid: 'Push', index: 0 }), statementLabel({ index: 2 })];

    // Assess
    expect(labels).toEqual(['Push', '#2']);
  });
});
