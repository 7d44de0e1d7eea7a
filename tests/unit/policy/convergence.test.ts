/**
 * Convergence on plain data: the parts of a managed project (what `expectedState` of its plan reads back,
 * then changed the way someone could change it) against the plan, and the writes that restore them.
 */
import {
  checkParts,
  coveredByRegistry,
  hasExactRegistryFilter,
  projectUpdate,
  registryCoverage,
  requestTokenOf,
  sameJson,
  withoutRegistryFilter,
  type ActualState,
  type CheckedPart,
} from '../../../lib/policy/convergence';
import { defaultGuardrails } from '../../../lib/policy/guardrails';
import type { RegistryScanningConfiguration } from '../../../lib/policy/model';
import { MAX_REGISTRY_FILTERS } from '../../../lib/policy/rules/ecr/scan-on-push';
import { expectedState } from '../../../lib/policy/provisioning/expected-state';
import {
  planProvisioning,
  type ProvisioningContext,
  type ProvisioningPlan,
} from '../../../lib/policy/provisioning/plan';
import { parseProjectRequest } from '../../../lib/policy/provisioning/request';
import { ACCOUNT, REGION } from '../../fixtures/builders';
import { awsSample } from '../../fixtures/load';

const TOKEN = 'c0ffee00-0000-4000-8000-000000000001';
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/buildwarden-build-boundary`;

function plan(context: Partial<ProvisioningContext> = {}): ProvisioningPlan {
  return planProvisioning(
    parseProjectRequest({
      name: 'team/app',
      source: { type: 'GITHUB', location: 'https://github.com/example/app.git', branch: 'main' },
      tags: { team: 'platform' },
    }),
    {
      accountId: ACCOUNT,
      region: REGION,
      partition: 'aws',
      guardrails: defaultGuardrails(),
      requestToken: TOKEN,
      ...context,
    },
  );
}

/** The state right after the plan's calls, for a test to change. */
function actualOf(p: ProvisioningPlan): ActualState {
  const state = expectedState(p);
  return {
    repository: state.repository,
    role: state.role,
    project: state.project,
    registryScanning: { scanType: 'BASIC', rules: [] },
  };
}

const notOk = (parts: CheckedPart[]) => parts.filter((p) => p.status !== 'ok');
const summary = (parts: CheckedPart[]) =>
  notOk(parts).map((p) => ({ part: p.part, status: p.status, repair: p.repair?.type }));

/** The ECR User Guide's enhanced-scanning example: continuous scanning for repositories with `prod` in the name. */
const enhancedProdOnly = (): RegistryScanningConfiguration => ({
  scanType: 'ENHANCED',
  rules: awsSample<RegistryScanningConfiguration['rules']>(
    'ecr-registry-scanning-rules.enhanced-prod.user-guide.json',
  ),
});

describe('checkParts: a project as it was created', () => {
  test('has every part ok', () => {
    const p = plan();

    expect(notOk(checkParts(p, actualOf(p), defaultGuardrails()))).toEqual([]);
  });

  test('names the repository, its settings, the role, its policies and the project', () => {
    const p = plan({ permissionsBoundaryArn: BOUNDARY });

    expect(checkParts(p, actualOf(p), defaultGuardrails()).map((part) => part.part)).toEqual([
      'repository',
      'repository.tagMutability',
      'repository.scanning',
      'repository.encryption',
      'repository.lifecyclePolicy',
      'role',
      'role.trustPolicy',
      'role.buildPolicy',
      'role.permissionsBoundary',
      'role.otherPolicies',
      'project',
    ]);
  });

  test('is ok with policy documents whose keys come in another order', () => {
    const p = plan();
    const actual = actualOf(p);
    const trust = actual.role!.AssumeRolePolicyDocument!;
    actual.role!.AssumeRolePolicyDocument = { Statement: trust.Statement, Version: trust.Version as string };

    expect(notOk(checkParts(p, actual, defaultGuardrails()))).toEqual([]);
  });
});

describe('checkParts: the repository', () => {
  test('missing: recreate it', () => {
    const p = plan();
    const actual = { ...actualOf(p), repository: undefined };

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'repository', status: 'missing', repair: 'recreateRepository' },
    ]);
  });

  test('not tagged managed-by=buildwarden: drifted, left alone, its settings not judged', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.repository!.tags = [];
    actual.repository!.imageTagMutability = 'MUTABLE';

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'repository', status: 'drifted', repair: undefined },
    ]);
  });

  test('tags made MUTABLE: put IMMUTABLE back', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.repository!.imageTagMutability = 'MUTABLE';

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'repository.tagMutability', status: 'drifted', repair: 'putImageTagMutability' },
    ]);
  });

  test('scan on push turned off under basic scanning: turn it on', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.repository!.imageScanningConfiguration = { scanOnPush: false };

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'repository.scanning', status: 'drifted', repair: 'putImageScanningConfiguration' },
    ]);
  });

  test('under enhanced scanning with no rule covering it: cover it in a registry rule', () => {
    const p = plan();
    const actual = { ...actualOf(p), registryScanning: enhancedProdOnly() };

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'repository.scanning', status: 'drifted', repair: 'coverInRegistryScanning' },
    ]);
  });

  test('under enhanced scanning its own scanOnPush does not count, a covering rule does', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.repository!.imageScanningConfiguration = { scanOnPush: false };
    actual.registryScanning = {
      scanType: 'ENHANCED',
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: [{ filter: 'team/*', filterType: 'WILDCARD' }],
        },
      ],
    };

    expect(notOk(checkParts(p, actual, defaultGuardrails()))).toEqual([]);
  });

  test('encrypted otherwise than planned: reported, never repaired', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.repository!.encryptionConfiguration = { encryptionType: 'AES256' };

    const parts = checkParts(p, actual, defaultGuardrails());

    expect(summary(parts)).toEqual([{ part: 'repository.encryption', status: 'drifted', repair: undefined }]);
    expect(notOk(parts)[0]!.detail).toMatch(/cannot be changed after a repository is created/);
  });

  test('under another KMS key than the configured one: reported', () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
    const p = plan({ kmsKeyArn: key });
    const actual = actualOf(p);
    actual.repository!.encryptionConfiguration = {
      encryptionType: 'KMS',
      kmsKey: `arn:aws:kms:${REGION}:${ACCOUNT}:key/99999999-2222-3333-4444-555555555555`,
    };

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'repository.encryption', status: 'drifted', repair: undefined },
    ]);
  });

  test('lifecycle policy deleted: missing, put it back', () => {
    const p = plan();
    const actual = actualOf(p);
    delete actual.repository!.lifecyclePolicyText;

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'repository.lifecyclePolicy', status: 'missing', repair: 'putLifecyclePolicy' },
    ]);
  });

  test('lifecycle policy replaced: drifted, put the planned one back', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.repository!.lifecyclePolicyText = JSON.stringify({ rules: [] });

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'repository.lifecyclePolicy', status: 'drifted', repair: 'putLifecyclePolicy' },
    ]);
  });
});

describe('checkParts: the role', () => {
  test('missing: recreate it', () => {
    const p = plan();
    const actual = { ...actualOf(p), role: undefined };

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'role', status: 'missing', repair: 'recreateRole' },
    ]);
  });

  test('not tagged managed-by=buildwarden: drifted, left alone', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.role!.Tags = [];
    actual.role!.RolePolicyList = [];

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'role', status: 'drifted', repair: undefined },
    ]);
  });

  test('build policy deleted: missing, put it back', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.role!.RolePolicyList = [];

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'role.buildPolicy', status: 'missing', repair: 'putRolePolicy' },
    ]);
  });

  test('build policy widened: drifted, put the planned one back', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.role!.RolePolicyList[0]!.PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }],
    };

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'role.buildPolicy', status: 'drifted', repair: 'putRolePolicy' },
    ]);
  });

  test('trust policy changed: update it back', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.role!.AssumeRolePolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    };

    expect(summary(checkParts(p, actual, defaultGuardrails()))).toEqual([
      { part: 'role.trustPolicy', status: 'drifted', repair: 'updateAssumeRolePolicy' },
    ]);
  });

  test('configured permissions boundary removed: put it back', () => {
    const p = plan({ permissionsBoundaryArn: BOUNDARY });
    const actual = actualOf(p);
    delete actual.role!.PermissionsBoundary;

    const parts = checkParts(p, actual, defaultGuardrails());

    expect(summary(parts)).toEqual([
      { part: 'role.permissionsBoundary', status: 'missing', repair: 'putRolePermissionsBoundary' },
    ]);
    expect(notOk(parts)[0]!.repair).toEqual({
      type: 'putRolePermissionsBoundary',
      permissionsBoundaryArn: BOUNDARY,
    });
  });

  test('a managed policy attached by someone: reported, never detached', () => {
    const p = plan();
    const actual = actualOf(p);
    // The official list-attached-role-policies example's policy.
    actual.role!.AttachedManagedPolicies = [
      { PolicyName: 'SecurityAudit', PolicyArn: 'arn:aws:iam::aws:policy/SecurityAudit' },
    ];

    const parts = checkParts(p, actual, defaultGuardrails());

    expect(summary(parts)).toEqual([{ part: 'role.otherPolicies', status: 'drifted', repair: undefined }]);
    expect(notOk(parts)[0]!.detail).toContain('arn:aws:iam::aws:policy/SecurityAudit');
  });
});

describe('checkParts: the project', () => {
  test('its service role changed: update the project back, naming the field', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.project.serviceRole = `arn:aws:iam::${ACCOUNT}:role/service-role/someone-else`;

    const parts = checkParts(p, actual, defaultGuardrails());

    expect(summary(parts)).toEqual([{ part: 'project', status: 'drifted', repair: 'updateProject' }]);
    expect(notOk(parts)[0]!.detail).toBe('project settings differ from the plan: serviceRole');
  });

  test('privileged mode and CloudWatch logs turned off: both named', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.project.environment!.privilegedMode = false;
    actual.project.logsConfig = { cloudWatchLogs: { status: 'DISABLED' } };

    expect(notOk(checkParts(p, actual, defaultGuardrails()))[0]!.detail).toBe(
      'project settings differ from the plan: environment.privilegedMode, logsConfig.cloudWatchLogs',
    );
  });

  test('its docker-build tag removed: named', () => {
    const p = plan();
    const actual = actualOf(p);
    actual.project.tags = actual.project.tags!.filter((t) => t.key !== 'buildwarden:docker-build');

    expect(notOk(checkParts(p, actual, defaultGuardrails()))[0]!.detail).toBe(
      'project settings differ from the plan: tags[buildwarden:docker-build]',
    );
  });
});

describe('projectUpdate', () => {
  test('sends the planned settings and keeps the project own request token and user tags', () => {
    const p = plan();
    const project = expectedState(p).project;
    project.tags = [
      { key: 'managed-by', value: 'buildwarden' },
      { key: 'buildwarden:request', value: 'the-original-token' },
      { key: 'team', value: 'platform' },
    ];

    const update = projectUpdate(p, project);

    expect(update.serviceRole).toBe(p.createProject.serviceRole);
    expect(update.environment).toEqual(p.createProject.environment);
    expect([...update.tags].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'buildwarden:docker-build', value: 'true' },
      { key: 'buildwarden:repository', value: 'team/app' },
      { key: 'buildwarden:request', value: 'the-original-token' },
      { key: 'managed-by', value: 'buildwarden' },
      { key: 'team', value: 'platform' },
    ]);
  });
});

describe('registryCoverage', () => {
  test('is not needed under basic scanning (the repository own scanOnPush counts there)', () => {
    expect(registryCoverage(plan(), { scanType: 'BASIC', rules: [] }, defaultGuardrails())).toEqual({
      status: 'not-needed',
    });
  });

  test('is not needed without a registry configuration', () => {
    expect(registryCoverage(plan(), undefined, defaultGuardrails())).toEqual({ status: 'not-needed' });
  });

  test('is covered by a wildcard rule of enhanced scanning', () => {
    const configuration: RegistryScanningConfiguration = {
      scanType: 'ENHANCED',
      rules: [
        { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] },
      ],
    };

    expect(registryCoverage(plan(), configuration, defaultGuardrails())).toEqual({ status: 'covered' });
  });

  test('adds the repository to the CONTINUOUS_SCAN rule, keeping the filters there', () => {
    expect(registryCoverage(plan(), enhancedProdOnly(), defaultGuardrails())).toEqual({
      status: 'write',
      configuration: {
        scanType: 'ENHANCED',
        rules: [
          {
            scanFrequency: 'CONTINUOUS_SCAN',
            repositoryFilters: [
              { filter: 'prod', filterType: 'WILDCARD' },
              { filter: 'team/app', filterType: 'WILDCARD' },
            ],
          },
        ],
      },
    });
  });

  test('refuses, with ECR limit named, when the rule already has 100 filters', () => {
    const full: RegistryScanningConfiguration = {
      scanType: 'ENHANCED',
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: Array.from({ length: MAX_REGISTRY_FILTERS }, (_, i) => ({
            filter: `other-${i}`,
            filterType: 'WILDCARD' as const,
          })),
        },
      ],
    };

    const coverage = registryCoverage(plan(), full, defaultGuardrails());

    expect(coverage.status).toBe('refused');
    expect(coverage).toMatchObject({ reason: expect.stringContaining('100 filters') });
  });

  test('the configuration it writes covers the repository', () => {
    const coverage = registryCoverage(plan(), enhancedProdOnly(), defaultGuardrails());
    if (coverage.status !== 'write') throw new Error('expected a write');

    expect(coveredByRegistry(plan(), coverage.configuration, defaultGuardrails())).toBe(true);
  });
});

describe('withoutRegistryFilter and hasExactRegistryFilter', () => {
  test('takes back exactly the filter naming the repository, and a rule left empty', () => {
    const configuration: RegistryScanningConfiguration = {
      scanType: 'ENHANCED',
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: [
            { filter: 'prod', filterType: 'WILDCARD' },
            { filter: 'team/app', filterType: 'WILDCARD' },
          ],
        },
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [{ filter: 'team/app', filterType: 'WILDCARD' }],
        },
      ],
    };

    expect(withoutRegistryFilter(configuration, 'team/app')).toEqual(enhancedProdOnly());
    expect(hasExactRegistryFilter(configuration, 'team/app')).toBe(true);
    expect(hasExactRegistryFilter(enhancedProdOnly(), 'team/app')).toBe(false);
  });
});

describe('requestTokenOf and sameJson', () => {
  test('reads the token from ECR/IAM tags and from CodeBuild tags', () => {
    expect(requestTokenOf([{ Key: 'buildwarden:request', Value: 't1' }])).toBe('t1');
    expect(requestTokenOf([{ key: 'buildwarden:request', value: 't2' }])).toBe('t2');
    expect(requestTokenOf([{ key: 'managed-by', value: 'buildwarden' }])).toBeUndefined();
  });

  test('compares JSON regardless of key order, not of array order', () => {
    expect(sameJson({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});
