/**
 * The permissions boundary of every build role the provisioning API creates: the stack's
 * `ProvisionedRoleBoundary` managed policy, resolved at package time from the deployed guardrails file
 * (`scripts/provisioned-role-boundary.js`). Whatever a role's own policy says, the role can do no more than
 * this: write CodeBuild logs, log in to ECR and push to / pull from its repositories, pull from CodeCommit,
 * read parameters and secrets under the configured namespaces (and decrypt them through their service),
 * and read the configured S3 source buckets. `{name}` in a namespace becomes `*`: the boundary bounds every
 * project at once; the role's own policy names its project's values exactly.
 */
import type { ProvisioningConfig } from './guardrails';
import { PROJECT_NAME_PLACEHOLDER } from './references';
import { ECR_AUTH_ACTION, ECR_CACHE_PULL_ACTIONS, ECR_PUSH_ACTIONS } from './aws-facts';
import { valueReadStatements } from './references';

/** Where the boundary applies; in the template these are CloudFormation pseudo parameters. */
export interface BoundaryScope {
  partition: string;
  region: string;
  accountId: string;
  /** The partition's domain (`amazonaws.com`, `amazonaws.com.cn`): service endpoints for kms:ViaService. */
  urlSuffix: string;
}

export interface BoundaryStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface BoundaryDocument {
  Version: '2012-10-17';
  Statement: BoundaryStatement[];
}

const anyProject = (value: string) => value.replaceAll(PROJECT_NAME_PLACEHOLDER, '*');

export function provisionedRoleBoundary(config: ProvisioningConfig, at: BoundaryScope): BoundaryDocument {
  const { partition, region, accountId, urlSuffix } = at;
  const keys = `arn:${partition}:kms:${region}:${accountId}:key/*`;
  const parameters = config.parameterPrefixes.map(
    (prefix) =>
      `arn:${partition}:ssm:${region}:${accountId}:parameter/${anyProject(prefix).replace(/^\//, '')}*`,
  );
  const secrets = config.secretPrefixes.map(
    (prefix) => `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${anyProject(prefix)}*`,
  );
  const buckets = config.sourceBuckets.map((bucket) => `arn:${partition}:s3:::${anyProject(bucket)}`);

  const statements: BoundaryStatement[] = [
    {
      Sid: 'BuildLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/codebuild/*`,
    },
    // ECR has no resource-level permissions for the login token.
    { Sid: 'EcrLogin', Effect: 'Allow', Action: ECR_AUTH_ACTION, Resource: '*' },
    {
      Sid: 'EcrPushAndPull',
      Effect: 'Allow',
      Action: [...ECR_PUSH_ACTIONS, ...ECR_CACHE_PULL_ACTIONS],
      Resource: `arn:${partition}:ecr:${region}:${accountId}:repository/*`,
    },
    {
      Sid: 'CodeCommitPull',
      Effect: 'Allow',
      Action: 'codecommit:GitPull',
      Resource: `arn:${partition}:codecommit:${region}:${accountId}:*`,
    },
  ];
  // Namespaces, not values: the encryption context is matched as a pattern.
  const decrypt = { keys, region, urlSuffix, exact: false };
  if (parameters.length > 0) statements.push(...valueReadStatements('parameter', parameters, decrypt));
  if (secrets.length > 0) statements.push(...valueReadStatements('secret', secrets, decrypt));
  if (buckets.length > 0) {
    statements.push(
      {
        Sid: 'ReadSourceObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: buckets.map((bucket) => `${bucket}/*`),
      },
      {
        Sid: 'ReadSourceBuckets',
        Effect: 'Allow',
        Action: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
        Resource: buckets,
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}
