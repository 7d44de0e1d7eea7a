/**
 * The provisioned roles' permissions boundary on plain data: what it allows, and that every build policy the
 * provisioning API can produce stays inside it (checked with the IAM evaluator).
 */
import fc from 'fast-check';
import { provisionedRoleBoundary, type BoundaryScope } from '../../../lib/policy/boundary';
import { defaultGuardrails, type ProvisioningConfig } from '../../../lib/policy/guardrails';
import { evaluate } from '../../../lib/policy/iam/policy-evaluation';
import type { PolicyDocument } from '../../../lib/policy/model';
import { projectNameOf } from '../../../lib/policy/provisioning/managed-resources';
import { planProvisioning } from '../../../lib/policy/provisioning/plan';
import { parseProjectRequest } from '../../../lib/policy/provisioning/request';
import { ACCOUNT, REGION } from '../../fixtures/builders';

const AT: BoundaryScope = {
  partition: 'aws',
  region: REGION,
  accountId: ACCOUNT,
  urlSuffix: 'amazonaws.com',
};
const defaults = (): ProvisioningConfig => defaultGuardrails().provisioning;
const boundaryOf = (config: ProvisioningConfig = defaults()) => provisionedRoleBoundary(config, AT);
const sidsOf = (config?: ProvisioningConfig) => boundaryOf(config).Statement.map((s) => s.Sid);
const statement = (sid: string, config?: ProvisioningConfig) =>
  boundaryOf(config).Statement.find((s) => s.Sid === sid);

describe('provisionedRoleBoundary', () => {
  test('with the default namespaces: logs, ECR, CodeCommit pull, and reads under /ci/*/ and ci/*/', () => {
    expect(sidsOf()).toEqual([
      'BuildLogs',
      'EcrLogin',
      'EcrPushAndPull',
      'CodeCommitPull',
      'ReadParameters',
      'DecryptParameters',
      'ReadSecrets',
      'DecryptSecrets',
    ]);
    expect(statement('BuildLogs')?.Resource).toBe(
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/*`,
    );
    expect(statement('ReadParameters')?.Resource).toEqual([
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/*/*`,
    ]);
    expect(statement('ReadSecrets')?.Resource).toEqual([
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/*/*`,
    ]);
  });

  test('decrypts only through Parameter Store and Secrets Manager, for values under the namespaces', () => {
    expect(statement('DecryptParameters')?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': `ssm.${REGION}.amazonaws.com` },
      StringLike: {
        'kms:EncryptionContext:PARAMETER_ARN': [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ci/*/*`],
      },
    });
    expect(statement('DecryptSecrets')?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
      StringLike: {
        'kms:EncryptionContext:SecretARN': [`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ci/*/*`],
      },
    });
  });

  test('turns every {name} into * and keeps fixed prefixes as they are', () => {
    const config = { ...defaults(), parameterPrefixes: ['/{name}/ci/{name}/', '/shared/'] };

    expect(statement('ReadParameters', config)?.Resource).toEqual([
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/*/ci/*/*`,
      `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/shared/*`,
    ]);
  });

  test('reads the configured source buckets, and no bucket by default', () => {
    const config = { ...defaults(), sourceBuckets: ['src-{name}', 'shared-sources'] };

    expect(sidsOf()).not.toContain('ReadSourceObjects');
    expect(statement('ReadSourceObjects', config)?.Resource).toEqual([
      'arn:aws:s3:::src-*/*',
      'arn:aws:s3:::shared-sources/*',
    ]);
    expect(statement('ReadSourceBuckets', config)?.Resource).toEqual([
      'arn:aws:s3:::src-*',
      'arn:aws:s3:::shared-sources',
    ]);
  });

  test('empty prefix lists leave out the read and decrypt statements altogether', () => {
    const config = { ...defaults(), parameterPrefixes: [], secretPrefixes: [] };

    expect(sidsOf(config)).toEqual(['BuildLogs', 'EcrLogin', 'EcrPushAndPull', 'CodeCommitPull']);
  });

  test.each([
    ['ssm:GetParameters', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/prod/db/password`],
    ['ssm:GetParameters', `arn:aws:ssm:${REGION}:210987654321:parameter/ci/app/token`],
    ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db-AbC123`],
    ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/admin`],
    ['s3:GetObject', 'arn:aws:s3:::finance-exports/ledger.csv'],
    ['ecr:DeleteRepository', `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app`],
  ])('bounds a role allowed everything: %s on %s is denied', (action, resource) => {
    const identity = [
      {
        name: 'all',
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ];

    const result = evaluate(
      { action, resource },
      { identity, permissionsBoundary: { name: 'boundary', document: boundaryOf() as PolicyDocument } },
    );

    expect(result.decision).toBe('implicit-deny');
  });
});

describe('every build policy the provisioning API makes stays inside the boundary', () => {
  /** A concrete resource a pattern of ours stands for: a secret's random suffix, a folder's objects. */
  const concrete = (resource: string) => resource.replace(/-\?{6}$/, '-AbC123').replace(/\*$/, 'x');

  const name = fc.stringMatching(/^[a-z0-9]{1,8}(?:[/_-][a-z0-9]{1,8}){0,2}$/);
  const body = fc
    .record({
      name,
      source: fc.oneof(
        fc.constant({ type: 'GITHUB', location: 'https://github.com/example/app.git' }),
        fc.constant({
          type: 'CODECOMMIT',
          location: `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/app`,
        }),
        fc.stringMatching(/^[a-z0-9]{1,8}(?:\/[a-z0-9]{1,8}){0,2}\/?$/).map((key) => ({
          type: 'S3',
          location: `build-sources/${key}`,
        })),
      ),
      parameters: fc.array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}(?:\/[A-Za-z0-9_.-]{1,10}){0,2}$/), {
        maxLength: 3,
      }),
      secrets: fc.array(fc.stringMatching(/^[A-Za-z0-9_+=.@-]{1,10}(?:\/[A-Za-z0-9_+=.@-]{1,10}){0,2}$/), {
        maxLength: 3,
      }),
    })
    .map(({ name: n, source, parameters, secrets }) => {
      const project = projectNameOf(n);
      return {
        name: n,
        source,
        environmentVariables: [
          ...parameters.map((p, i) => ({
            name: `P${i}`,
            value: `/ci/${project}/${p}`,
            type: 'PARAMETER_STORE',
          })),
          ...secrets.map((s, i) => ({ name: `S${i}`, value: `ci/${project}/${s}`, type: 'SECRETS_MANAGER' })),
        ],
      };
    });

  test('each action on each resource the role policy allows is allowed by the boundary too', () => {
    const config = { ...defaults(), sourceBuckets: ['build-sources'] };
    const guardrails = defaultGuardrails();
    guardrails.provisioning = config;
    const boundary = { name: 'boundary', document: boundaryOf(config) as PolicyDocument };

    fc.assert(
      fc.property(body, (b) => {
        let request;
        try {
          request = parseProjectRequest(b);
        } catch {
          return true; // a name the request schema refuses is not this test's concern
        }
        const plan = planProvisioning(request, {
          accountId: ACCOUNT,
          region: REGION,
          partition: 'aws',
          guardrails,
        });
        const policy = JSON.parse(plan.putRolePolicy.PolicyDocument) as {
          Statement: { Action: string | string[]; Resource: string | string[]; Condition?: unknown }[];
        };
        for (const s of policy.Statement) {
          for (const action of [s.Action].flat()) {
            for (const resource of [s.Resource].flat()) {
              // No identity policy: allowedBy / conditionalBy list the boundary statements that match.
              const result = evaluate(
                { action, resource: concrete(resource) },
                { identity: [], permissionsBoundary: boundary },
              );
              const decision = [...result.allowedBy, ...result.conditionalBy].some(
                (ref) => ref.source === 'permissions-boundary',
              );
              expect({ action, resource, withinBoundary: decision }).toEqual({
                action,
                resource,
                withinBoundary: true,
              });
            }
          }
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});
