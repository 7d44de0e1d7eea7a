/**
 * Parsing CloudTrail change events (EventBridge envelope) into the resource they name, and deciding which
 * events must not be acted on. Inputs are the event files in events/ (built from the official samples) and
 * the official EventBridge envelope sample.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  CHANGE_DETAIL_TYPES,
  parseChangeEvent,
  skipReason,
  type ChangeEvent,
  type ChangeTarget,
} from '../../../lib/policy/change-events';
import { InvalidInputError } from '../../../lib/policy/validation';
import { awsSample, loadJson, REPO_ROOT } from '../../fixtures/load';

type RawEvent = { detail?: Record<string, unknown> } & Record<string, unknown>;

/** An event file from events/, as a fresh copy the test may mutate. */
function eventFile(name: string): RawEvent {
  return loadJson<RawEvent>(path.join('..', '..', 'events', name));
}

function problemsOf(raw: unknown): string[] {
  try {
    parseChangeEvent(raw);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected parseChangeEvent to reject the event');
}

const ACCOUNT = '123456789012';
const OWN_ROLE_NAME = 'buildwarden-remediation';
const OWN_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${OWN_ROLE_NAME}`;
const OWN_ROLE_ARN_WITH_PATH = `arn:aws:iam::${ACCOUNT}:role/service-role/buildwarden/${OWN_ROLE_NAME}`;
const OWN_SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/${OWN_ROLE_NAME}/buildwarden-dev-onChange`;

/** A parsed PutImageTagMutability event made by `principal`, optionally through the role `issuer`. */
function eventBy(principal: string, issuer?: string): ChangeEvent {
  const raw = eventFile('ecr-PutImageTagMutability.json');
  const identity = raw.detail!.userIdentity as Record<string, unknown>;
  identity.arn = principal;
  if (issuer === undefined) delete identity.sessionContext;
  else (identity.sessionContext as { sessionIssuer: { arn: string } }).sessionIssuer.arn = issuer;
  return parseChangeEvent(raw);
}

const LEGACY_POLICY = `arn:aws:iam::${ACCOUNT}:policy/legacy-ci-access`;

/** What each change event in events/ names; a failed call whose request is null names nothing. */
const EXPECTED_TARGETS: Record<string, ChangeTarget | undefined> = {
  'codebuild-CreateProject.json': { kind: 'project', projectName: 'web-frontend-build' },
  'codebuild-UpdateProject.json': { kind: 'project', projectName: 'data-etl-build' },
  'codebuild-UpdateProjectVisibility.json': { kind: 'project', projectName: 'docs-site' },
  'ecr-TagResource.json': { kind: 'repository', repositoryName: 'web/frontend' },
  'ecr-PutReplicationConfiguration.json': { kind: 'registry-setting', resource: 'replication-configuration' },
  'ecr-PutRegistryPolicy.json': { kind: 'registry-setting', resource: 'registry-policy' },
  'ecr-DeleteRegistryPolicy.json': { kind: 'registry-setting', resource: 'registry-policy' },
  'ecr-CreatePullThroughCacheRule.json': {
    kind: 'registry-setting',
    resource: 'pull-through-cache-rule',
    prefix: 'ecr-public',
  },
  'ecr-UpdatePullThroughCacheRule.json': {
    kind: 'registry-setting',
    resource: 'pull-through-cache-rule',
    prefix: 'docker-hub',
  },
  'ecr-CreateRepositoryCreationTemplate.json': {
    kind: 'registry-setting',
    resource: 'repository-creation-template',
    prefix: 'docker-hub',
  },
  'ecr-UpdateRepositoryCreationTemplate.json': {
    kind: 'registry-setting',
    resource: 'repository-creation-template',
    prefix: 'docker-hub',
  },
  'ecr-DeleteRepositoryCreationTemplate.json': {
    kind: 'registry-setting',
    resource: 'repository-creation-template',
    prefix: 'docker-hub',
  },
  'ecr-UntagResource.json': { kind: 'repository', repositoryName: 'web/frontend' },
  'iam-CreatePolicyVersion.json': { kind: 'policy', policyArn: LEGACY_POLICY },
  'iam-DeletePolicyVersion.json': { kind: 'policy', policyArn: LEGACY_POLICY },
  'iam-DeleteRolePermissionsBoundary-denied.json': undefined,
  'iam-DeleteRolePermissionsBoundary.json': { kind: 'role', roleName: 'docs-build-role' },
  'iam-SetDefaultPolicyVersion.json': { kind: 'policy', policyArn: LEGACY_POLICY },
  'iam-TagRole.json': { kind: 'role', roleName: 'web-build-role' },
  'iam-UntagRole.json': { kind: 'role', roleName: 'web-build-role' },
  'ecr-CreateRepository-service-event.json': { kind: 'repository', repositoryName: 'tmp/spike-grpc' },
  'ecr-CreateRepository.json': { kind: 'repository', repositoryName: 'web/frontend' },
  'ecr-DeleteLifecyclePolicy.json': { kind: 'repository', repositoryName: 'payments/api' },
  'ecr-DeleteRepositoryPolicy.json': { kind: 'repository', repositoryName: 'data/etl' },
  'ecr-PutImageScanningConfiguration.json': { kind: 'repository', repositoryName: 'web/frontend' },
  'ecr-PutImageTagMutability-failed.json': { kind: 'repository', repositoryName: 'payments/api' },
  'ecr-PutImageTagMutability.json': { kind: 'repository', repositoryName: 'web/frontend' },
  'ecr-PutLifecyclePolicy.json': { kind: 'repository', repositoryName: 'web/legacy-cache' },
  'ecr-PutRegistryScanningConfiguration.json': { kind: 'registry' },
  'ecr-SetRepositoryPolicy.json': { kind: 'repository', repositoryName: 'web/legacy-cache' },
  'iam-AttachRolePolicy.json': { kind: 'role', roleName: 'web-build-role' },
  'iam-DeleteRolePolicy.json': { kind: 'role', roleName: 'payments-build-role' },
  'iam-DetachRolePolicy.json': { kind: 'role', roleName: 'legacy-build-role' },
  'iam-PutRolePermissionsBoundary.json': { kind: 'role', roleName: 'docs-build-role' },
  'iam-PutRolePolicy.json': { kind: 'role', roleName: 'data-build-role' },
  'iam-UpdateAssumeRolePolicy.json': { kind: 'role', roleName: 'web-build-role' },
};

describe('parseChangeEvent: the resource an event names', () => {
  it('has an expected target for every CloudTrail change event in events/', () => {
    // Prepare
    const files = readdirSync(path.join(REPO_ROOT, 'events'))
      .filter((f) => f.endsWith('.json'))
      .filter((f) => (CHANGE_DETAIL_TYPES as readonly unknown[]).includes(eventFile(f)['detail-type']));

    // Act
    const untested = files.filter((f) => !(f in EXPECTED_TARGETS));

    // Assess
    expect(untested).toEqual([]);
  });

  it.each(Object.entries(EXPECTED_TARGETS))('%s names %o', (file, target) => {
    // Prepare
    const raw = eventFile(file);

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event.target).toEqual(target);
    expect(event.eventName).toBe((raw.detail as { eventName: string }).eventName);
  });

  it('takes the envelope id, time, account and region, and the caller from userIdentity', () => {
    // Prepare
    const raw = eventFile('ecr-PutImageTagMutability.json');

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event).toEqual({
      eventId: '6f8c2e1a-0b3d-4c5e-9f70-000000000005',
      eventName: 'PutImageTagMutability',
      eventSource: 'ecr.amazonaws.com',
      time: '2026-11-25T10:15:00Z',
      account: ACCOUNT,
      region: 'us-east-1',
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/PlatformAdmin/jane.doe`,
      principalRoleArn: `arn:aws:iam::${ACCOUNT}:role/PlatformAdmin`,
      target: { kind: 'repository', repositoryName: 'web/frontend' },
    });
  });

  it('names the invoking service as the principal of a service event without an identity ARN', () => {
    // Prepare
    const raw = eventFile('ecr-CreateRepository-service-event.json');

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event.principal).toBe('ecr.amazonaws.com');
    expect(event.principalRoleArn).toBeUndefined();
  });

  it('falls back to the repository ARN in detail.resources when the request does not name it', () => {
    // Prepare
    const raw = eventFile('ecr-DeleteLifecyclePolicy.json');
    raw.detail!.requestParameters = null;
    raw.detail!.responseElements = null;

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event.target).toEqual({ kind: 'repository', repositoryName: 'payments/api' });
  });

  it('rejects an event that names no resource, pointing at detail.requestParameters', () => {
    // Prepare
    const raw = eventFile('ecr-PutImageTagMutability.json');
    raw.detail!.requestParameters = {};
    raw.detail!.responseElements = null;
    delete raw.detail!.resources;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail\.requestParameters: /)]);
  });
});

describe('parseChangeEvent: failed calls', () => {
  it('accepts a denied IAM call whose requestParameters is null, with its errorCode and no target', () => {
    // Prepare
    const raw = eventFile('iam-DeleteRolePermissionsBoundary-denied.json');

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event).toMatchObject({ eventName: 'DeleteRolePermissionsBoundary', errorCode: 'AccessDenied' });
    expect(event.target).toBeUndefined();
  });

  it('skips the denied call for its errorCode', () => {
    // Prepare
    const event = parseChangeEvent(eventFile('iam-DeleteRolePermissionsBoundary-denied.json'));

    // Act
    const reason = skipReason(event, []);

    // Assess
    expect(reason).toBe('the DeleteRolePermissionsBoundary call failed (AccessDenied); nothing changed');
  });

  it('still rejects a successful call that names no resource', () => {
    // Prepare
    const raw = eventFile('iam-DeleteRolePermissionsBoundary-denied.json');
    delete raw.detail!.errorCode;
    delete raw.detail!.errorMessage;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail\.requestParameters: /)]);
  });

  it('still rejects a failed call of an API buildwarden does not handle', () => {
    // Prepare
    const raw = eventFile('iam-DeleteRolePermissionsBoundary-denied.json');
    raw.detail!.eventName = 'DeleteRole';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail\.eventName: DeleteRole is not/)]);
  });
});

describe('parseChangeEvent: the new event kinds', () => {
  it('names the repository of an ECR TagResource by its resourceArn when resources[] is absent', () => {
    // Prepare
    const raw = eventFile('ecr-TagResource.json');
    delete raw.detail!.resources;

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event.target).toEqual({ kind: 'repository', repositoryName: 'web/frontend' });
  });

  it('rejects an ECR TagResource whose resourceArn is not a repository ARN and that names nothing else', () => {
    // Prepare
    const raw = eventFile('ecr-UntagResource.json');
    raw.detail!.requestParameters = {
      resourceArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      tagKeys: ['buildwarden:exempt'],
    };
    delete raw.detail!.resources;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail\.requestParameters: UntagResource event/)]);
  });

  it('names the project of UpdateProjectVisibility by its projectArn', () => {
    // Prepare
    const raw = eventFile('codebuild-UpdateProjectVisibility.json');

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event.target).toEqual({ kind: 'project', projectName: 'docs-site' });
  });

  it('rejects a policy-version event whose policyArn is not an IAM policy ARN', () => {
    // Prepare
    const raw = eventFile('iam-CreatePolicyVersion.json');
    (raw.detail!.requestParameters as Record<string, unknown>).policyArn = `arn:aws:iam::${ACCOUNT}:role/x`;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail\.requestParameters: CreatePolicyVersion/)]);
  });

  it("names an AWS managed policy as it is (the use case decides it is not the account's to judge)", () => {
    // Prepare
    const raw = eventFile('iam-SetDefaultPolicyVersion.json');
    const managed = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser';
    (raw.detail!.requestParameters as Record<string, unknown>).policyArn = managed;

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event.target).toEqual({ kind: 'policy', policyArn: managed });
    expect(event.otherAccounts).toBeUndefined();
  });
});

describe('parseChangeEvent: accounts other than the envelope one', () => {
  const OTHER = '999999999999';

  it('names none for the event files (every field names the own account)', () => {
    // Prepare
    const files = Object.keys(EXPECTED_TARGETS);

    // Act
    const named = files.filter((f) => parseChangeEvent(eventFile(f)).otherAccounts !== undefined);

    // Assess
    expect(named).toEqual([]);
  });

  it.each([
    [
      'requestParameters.registryId',
      'ecr-PutImageTagMutability.json',
      (raw: RawEvent) => ((raw.detail!.requestParameters as Record<string, unknown>).registryId = OTHER),
    ],
    [
      'recipientAccountId',
      'iam-PutRolePolicy.json',
      (raw: RawEvent) => (raw.detail!.recipientAccountId = OTHER),
    ],
    [
      'resources[0].ARN',
      'ecr-DeleteLifecyclePolicy.json',
      (raw: RawEvent) =>
        (raw.detail!.resources = [{ ARN: `arn:aws:ecr:us-east-1:${OTHER}:repository/payments/api` }]),
    ],
    [
      'resources[0].accountId',
      'ecr-DeleteLifecyclePolicy.json',
      (raw: RawEvent) =>
        (raw.detail!.resources = [
          { ARN: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/payments/api`, accountId: OTHER },
        ]),
    ],
    [
      'requestParameters.resourceArn',
      'ecr-TagResource.json',
      (raw: RawEvent) =>
        ((raw.detail!.requestParameters as Record<string, unknown>).resourceArn =
          `arn:aws:ecr:us-east-1:${OTHER}:repository/web/frontend`),
    ],
    [
      'requestParameters.projectArn',
      'codebuild-UpdateProjectVisibility.json',
      (raw: RawEvent) =>
        ((raw.detail!.requestParameters as Record<string, unknown>).projectArn =
          `arn:aws:codebuild:us-east-1:${OTHER}:project/docs-site`),
    ],
    [
      'requestParameters.policyArn',
      'iam-CreatePolicyVersion.json',
      (raw: RawEvent) =>
        ((raw.detail!.requestParameters as Record<string, unknown>).policyArn =
          `arn:aws:iam::${OTHER}:policy/legacy-ci-access`),
    ],
  ])('records the account named in %s', (field, file, change) => {
    // Prepare
    const raw = eventFile(file);
    change(raw);

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event.otherAccounts).toEqual([{ field, account: OTHER }]);
    expect(event.account).toBe(ACCOUNT);
  });

  it('ignores values that are not account ids (an ARN without account, an empty registryId)', () => {
    // Prepare
    const raw = eventFile('ecr-PutImageTagMutability.json');
    (raw.detail!.requestParameters as Record<string, unknown>).registryId = '';
    raw.detail!.resources = [{ ARN: 'arn:aws:s3:::example-bucket' }];

    // Act
    const event = parseChangeEvent(raw);

    // Assess
    expect(event.otherAccounts).toBeUndefined();
  });
});

describe('parseChangeEvent: what it rejects', () => {
  it('rejects the official envelope sample (an S3 call), naming detail.eventSource', () => {
    // Prepare
    const raw = awsSample('eventbridge-aws-api-call-via-cloudtrail.s3-CreateBucket.json');

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail\.eventSource: /)]);
  });

  it('throws InvalidInputError (drop, do not retry) for a rejected event', () => {
    // Prepare
    const raw = awsSample('eventbridge-aws-api-call-via-cloudtrail.s3-CreateBucket.json');

    // Act
    const parsing = () => parseChangeEvent(raw);

    // Assess
    expect(parsing).toThrow(InvalidInputError);
  });

  it('rejects an ECR call buildwarden does not handle, naming detail.eventName and the call', () => {
    // Prepare
    const raw = eventFile('ecr-PutImageTagMutability.json');
    raw.detail!.eventName = 'DeleteRepository';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail\.eventName: DeleteRepository is not/)]);
  });

  it('rejects a call of one service presented as another service (eventName of IAM, source ECR)', () => {
    // Prepare
    const raw = eventFile('ecr-PutImageTagMutability.json');
    raw.detail!.eventName = 'PutRolePolicy';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail\.eventName: /)]);
  });

  it('rejects an event without detail, naming the path `detail`', () => {
    // Prepare
    const raw = eventFile('ecr-PutImageTagMutability.json');
    delete raw.detail;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail: /)]);
  });

  it('rejects an event whose detail-type is not a CloudTrail one, naming detail-type', () => {
    // Prepare
    const raw = eventFile('ecr-PutImageTagMutability.json');
    raw['detail-type'] = 'Scheduled Event';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^detail-type: /)]);
  });

  it.each([null, 'text', 42, [], {}])('rejects %p as an event', (raw) => {
    // Act
    const parsing = () => parseChangeEvent(raw);

    // Assess
    expect(parsing).toThrow(InvalidInputError);
  });
});

describe('skipReason', () => {
  it('skips a call that failed, naming its errorCode', () => {
    // Prepare
    const event = parseChangeEvent(eventFile('ecr-PutImageTagMutability-failed.json'));

    // Act
    const reason = skipReason(event, []);

    // Assess
    expect(reason).toBe('the PutImageTagMutability call failed (AccessDenied); nothing changed');
  });

  it('does not skip a successful call by another role', () => {
    // Prepare
    const event = parseChangeEvent(eventFile('ecr-PutImageTagMutability.json'));

    // Act
    const reason = skipReason(event, [OWN_ROLE_ARN]);

    // Assess
    expect(reason).toBeUndefined();
  });

  it('skips a call whose session issuer is the own role ARN', () => {
    // Prepare
    const event = eventBy(OWN_SESSION_ARN, OWN_ROLE_ARN);

    // Act
    const reason = skipReason(event, [OWN_ROLE_ARN]);

    // Assess
    expect(reason).toBe("caused by buildwarden's own remediation role");
  });

  it('skips a call whose principal is the own role ARN itself', () => {
    // Prepare
    const event = eventBy(OWN_ROLE_ARN);

    // Act
    const reason = skipReason(event, [OWN_ROLE_ARN]);

    // Assess
    expect(reason).toBe("caused by buildwarden's own remediation role");
  });

  it('skips a call by an assumed-role session of the own role when no session issuer is given', () => {
    // Prepare
    const event = eventBy(OWN_SESSION_ARN);

    // Act
    const reason = skipReason(event, [OWN_ROLE_ARN]);

    // Assess
    expect(reason).toBe("caused by buildwarden's own remediation role");
  });

  it('skips a session of the own role when the configured role ARN has a path (session ARNs have none)', () => {
    // Prepare
    const event = eventBy(OWN_SESSION_ARN);

    // Act
    const reason = skipReason(event, [OWN_ROLE_ARN_WITH_PATH]);

    // Assess
    expect(reason).toBe("caused by buildwarden's own remediation role");
  });

  it('skips a call whose session issuer is the own role ARN with a path', () => {
    // Prepare
    const event = eventBy(OWN_SESSION_ARN, OWN_ROLE_ARN_WITH_PATH);

    // Act
    const reason = skipReason(event, [OWN_ROLE_ARN_WITH_PATH]);

    // Assess
    expect(reason).toBe("caused by buildwarden's own remediation role");
  });

  it.each([
    ['a role whose name extends the own name', `${OWN_ROLE_NAME}-v2`],
    ['a role whose name ends with the own name', `old-${OWN_ROLE_NAME}`],
    ['a different role', 'PlatformAdmin'],
  ])('does not skip a session of %s', (_case, roleName) => {
    // Prepare
    const event = eventBy(
      `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/session`,
      `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
    );

    // Act
    const reason = skipReason(event, [OWN_ROLE_ARN_WITH_PATH]);

    // Assess
    expect(reason).toBeUndefined();
  });

  it('does not skip anything when no own role is configured', () => {
    // Prepare
    const event = eventBy(OWN_SESSION_ARN, OWN_ROLE_ARN);

    // Act
    const reason = skipReason(event, []);

    // Assess
    expect(reason).toBeUndefined();
  });

  it('does not skip a call by an IAM user that shares the own role name', () => {
    // Prepare
    const event = eventBy(`arn:aws:iam::${ACCOUNT}:user/${OWN_ROLE_NAME}`);

    // Act
    const reason = skipReason(event, [OWN_ROLE_ARN]);

    // Assess
    expect(reason).toBeUndefined();
  });
});
