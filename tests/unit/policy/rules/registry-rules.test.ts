import { evaluateRegistry, registrySubjectsOf } from '../../../../lib/policy/evaluate';
import type { Finding } from '../../../../lib/policy/findings';
import { defaultGuardrails, type Guardrails } from '../../../../lib/policy/guardrails';
import {
  known,
  unknown,
  type PullThroughCacheRule,
  type RegistrySettings,
  type RepositoryCreationTemplate,
} from '../../../../lib/policy/registry-settings';
import { planRemediation } from '../../../../lib/policy/remediation';
import type { RegistrySubject } from '../../../../lib/policy/rules/definition';
import { rulesOfScope } from '../../../../lib/policy/rules/index';
import type { RuleId } from '../../../../lib/policy/rules/types';
import {
  ACCOUNT,
  goodLifecyclePolicy,
  guardrailsWith,
  NOW,
  REGION,
  ruleContext,
} from '../../../fixtures/builders';

const OTHER = '999988887777';
const PARTNER = '210987654321';
const ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}`;

/** A pull through cache rule as DescribePullThroughCacheRules returns it (API reference, PullThroughCacheRule). */
function cacheRule(overrides: Partial<PullThroughCacheRule> = {}): PullThroughCacheRule {
  return {
    ecrRepositoryPrefix: 'ecr-public',
    upstreamRegistryUrl: 'public.ecr.aws',
    createdAt: '2026-03-02T09:20:00Z',
    registryId: ACCOUNT,
    upstreamRegistry: 'ecr-public',
    ...overrides,
  };
}

/** A compliant template as DescribeRepositoryCreationTemplates returns it (RepositoryCreationTemplate). */
function template(overrides: Partial<RepositoryCreationTemplate> = {}): RepositoryCreationTemplate {
  return {
    prefix: 'ecr-public',
    description: 'ECR Public cache',
    encryptionConfiguration: { encryptionType: 'KMS', kmsKey: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1` },
    resourceTags: [],
    imageTagMutability: 'IMMUTABLE',
    lifecyclePolicy: goodLifecyclePolicy(),
    appliedFor: ['PULL_THROUGH_CACHE'],
    customRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecr-template-role`,
    ...overrides,
  };
}

function settings(overrides: RegistrySettings = {}): RegistrySettings {
  return {
    replicationConfiguration: known({ rules: [] }),
    registryPolicyText: known(null),
    pullThroughCacheRules: known([]),
    repositoryCreationTemplates: known([]),
    ...overrides,
  };
}

function judge(
  id: RuleId,
  registrySettings: RegistrySettings,
  guardrails: Guardrails = defaultGuardrails(),
): Finding[] {
  return evaluateRegistry(ruleContext({ view: { registrySettings }, guardrails }), new Set([id]));
}

function plan(id: RuleId, registrySettings: RegistrySettings, guardrails: Guardrails) {
  const ctx = ruleContext({ view: { registrySettings }, guardrails });
  const findings = evaluateRegistry(ctx, new Set([id]));
  const rule = [...rulesOfScope('registry', [id])][0]!;
  expect(rule).toBe(id);
  return findings.flatMap((finding) => {
    const resource = subjectOf(id, registrySettings, finding.resourceArn);
    return resource
      ? planRemediation({ scope: 'registry', resource }, [finding], { guardrails, now: NOW })
      : [];
  });
}

function subjectOf(id: RuleId, registrySettings: RegistrySettings, arn: string): RegistrySubject | undefined {
  const resource = {
    'ecr.replication-destinations': 'replication-configuration',
    'ecr.registry-policy': 'registry-policy',
    'ecr.pull-through-cache': 'pull-through-cache-rule',
    'ecr.creation-templates': 'repository-creation-template',
  }[id as string] as Parameters<typeof registrySubjectsOf>[0];
  const view = ruleContext({ view: { registrySettings } }).view;
  return (registrySubjectsOf(resource, view).subjects as RegistrySubject[]).find((s) => s.arn === arn);
}

const remediate = <R extends RuleId>(id: R, options: Record<string, unknown> = {}): Guardrails =>
  guardrailsWith(id, { mode: 'remediate', ...options } as never);

describe('ecr.replication-destinations', () => {
  const replication = known({
    rules: [
      {
        destinations: [
          { region: 'us-west-2', registryId: ACCOUNT },
          { region: 'eu-west-1', registryId: OTHER },
        ],
        repositoryFilters: [{ filter: 'payments', filterType: 'PREFIX_MATCH' }],
      },
    ],
  });

  it('reports each disallowed destination with the rule’s repository filters, on the buildwarden identifier', () => {
    // Act
    const [finding] = judge(
      'ecr.replication-destinations',
      settings({ replicationConfiguration: replication }),
    );

    // Assess
    expect(finding).toMatchObject({
      status: 'violation',
      resourceType: 'AWS::ECR::ReplicationConfiguration',
      resourceArn: `${ARN}:replication-configuration`,
      remediable: true,
    });
    expect(finding!.message).toContain(`${OTHER} in eu-west-1`);
    expect(finding!.message).toContain('PREFIX_MATCH payments');
    expect(finding!.message).not.toContain(`${ACCOUNT} in us-west-2`);
  });

  it('accepts destinations in allowedAccounts, and refuses those outside allowedRegions', () => {
    // Prepare
    const guardrails = guardrailsWith('ecr.replication-destinations', {
      allowedAccounts: [OTHER],
      allowedRegions: ['us-west-2'],
    });

    // Act
    const [finding] = judge(
      'ecr.replication-destinations',
      settings({ replicationConfiguration: replication }),
      guardrails,
    );

    // Assess
    expect(finding!.status).toBe('violation');
    expect(finding!.message).toContain('Region not in allowedRegions');
    expect(finding!.message).not.toContain('account not in allowedAccounts');
  });

  it('is compliant when the registry replicates nothing', () => {
    expect(judge('ecr.replication-destinations', settings())[0]!.status).toBe('compliant');
  });

  it('says not-visible, never compliant, when the configuration was not captured', () => {
    // Act
    const [finding] = judge(
      'ecr.replication-destinations',
      settings({ replicationConfiguration: unknown('the snapshot does not record it') }),
    );

    // Assess
    expect(finding).toMatchObject({ status: 'not-visible', resourceArn: `${ARN}:replication-configuration` });
    expect(finding!.message).toContain('the snapshot does not record it');
  });

  it('plans the configuration without only the disallowed destinations', () => {
    // Act
    const plans = plan(
      'ecr.replication-destinations',
      settings({ replicationConfiguration: replication }),
      remediate('ecr.replication-destinations'),
    );

    // Assess
    expect(plans.map((p) => p.write)).toEqual([
      {
        type: 'PutReplicationConfiguration',
        replicationConfiguration: {
          rules: [
            {
              destinations: [{ region: 'us-west-2', registryId: ACCOUNT }],
              repositoryFilters: [{ filter: 'payments', filterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      },
    ]);
  });

  it('plans nothing in the default mode (report)', () => {
    expect(
      plan(
        'ecr.replication-destinations',
        settings({ replicationConfiguration: replication }),
        defaultGuardrails(),
      ),
    ).toEqual([]);
  });
});

describe('ecr.registry-policy', () => {
  const policy = (...statements: Record<string, unknown>[]) =>
    known(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
  const replicate = (principal: unknown, sid: string, extra: Record<string, unknown> = {}) => ({
    Sid: sid,
    Effect: 'Allow',
    Principal: principal,
    Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
    Resource: `${ARN}:repository/*`,
    ...extra,
  });

  it('reports a statement letting an unlisted account replicate into the registry', () => {
    // Act
    const [finding] = judge(
      'ecr.registry-policy',
      settings({ registryPolicyText: policy(replicate({ AWS: `arn:aws:iam::${OTHER}:root` }, 'Partner')) }),
    );

    // Assess
    expect(finding).toMatchObject({
      status: 'violation',
      resourceType: 'AWS::ECR::RegistryPolicy',
      resourceArn: `${ARN}:registry-policy`,
    });
    expect(finding!.message).toContain('Partner');
  });

  it('accepts accounts of the ecr.repository-policy allowlist (the same allowlists)', () => {
    // Prepare
    const guardrails = guardrailsWith('ecr.repository-policy', { allowedAccounts: [OTHER] });

    // Act
    const [finding] = judge(
      'ecr.registry-policy',
      settings({ registryPolicyText: policy(replicate({ AWS: `arn:aws:iam::${OTHER}:root` }, 'Partner')) }),
      guardrails,
    );

    // Assess
    expect(finding!.status).toBe('compliant');
  });

  it('fails closed on a * principal whose condition it cannot evaluate', () => {
    // Act
    const [finding] = judge(
      'ecr.registry-policy',
      settings({
        registryPolicyText: policy(
          replicate('*', 'Anyone', { Condition: { StringEquals: { 'aws:RequestTag/team': 'x' } } }),
        ),
      }),
    );

    // Assess
    expect(finding!.status).toBe('violation');
  });

  it('ignores statements that grant none of the replication, creation or import actions', () => {
    // Act
    const [finding] = judge(
      'ecr.registry-policy',
      settings({
        registryPolicyText: policy({
          Sid: 'Scan',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
          Action: 'ecr:DescribeImages',
          Resource: '*',
        }),
      }),
    );

    // Assess
    expect(finding!.status).toBe('compliant');
  });

  it('removes only the offending statement, and deletes the policy when nothing is left', () => {
    // Prepare
    const own = replicate({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, 'Own');
    const open = replicate({ AWS: `arn:aws:iam::${OTHER}:root` }, 'Partner');

    // Act
    const partly = plan(
      'ecr.registry-policy',
      settings({ registryPolicyText: policy(own, open) }),
      remediate('ecr.registry-policy'),
    );
    const wholly = plan(
      'ecr.registry-policy',
      settings({ registryPolicyText: policy(open) }),
      remediate('ecr.registry-policy'),
    );

    // Assess
    expect(partly.map((p) => p.write?.type)).toEqual(['PutRegistryPolicy']);
    expect(JSON.parse((partly[0]!.write as { policyText: string }).policyText).Statement).toEqual([own]);
    expect(wholly.map((p) => p.write)).toEqual([{ type: 'DeleteRegistryPolicy' }]);
  });
});

describe('ecr.pull-through-cache', () => {
  it('is compliant for an allowed upstream that needs no credential and has a template', () => {
    // Act
    const [finding] = judge(
      'ecr.pull-through-cache',
      settings({
        pullThroughCacheRules: known([cacheRule()]),
        repositoryCreationTemplates: known([template()]),
      }),
    );

    // Assess
    expect(finding).toMatchObject({
      status: 'compliant',
      resourceType: 'AWS::ECR::PullThroughCacheRule',
      resourceArn: `${ARN}:pull-through-cache-rule/ecr-public`,
    });
  });

  it('reports an upstream outside allowedUpstreams', () => {
    // Prepare
    const guardrails = guardrailsWith('ecr.pull-through-cache', { allowedUpstreams: ['ecr-public'] });
    const dockerHub = cacheRule({
      ecrRepositoryPrefix: 'docker-hub',
      upstreamRegistry: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      credentialArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ecr-pullthroughcache/hub-AbCdEf`,
    });

    // Act
    const [finding] = judge(
      'ecr.pull-through-cache',
      settings({
        pullThroughCacheRules: known([dockerHub]),
        repositoryCreationTemplates: known([template({ prefix: 'docker-hub' })]),
      }),
      guardrails,
    );

    // Assess
    expect(finding!.status).toBe('violation');
    expect(finding!.message).toContain('docker-hub is not in allowedUpstreams');
    expect(finding!.remediable).toBe(false);
  });

  it.each([
    ['no credential', undefined, 'no credentialArn'],
    [
      'a secret not named ecr-pullthroughcache/',
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:dockerhub-AbCdEf`,
      'does not start with ecr-pullthroughcache/',
    ],
    [
      'a secret of another account',
      `arn:aws:secretsmanager:${REGION}:${OTHER}:secret:ecr-pullthroughcache/hub-AbCdEf`,
      "not this registry's account and Region",
    ],
  ])('reports an upstream needing authentication with %s', (_what, credentialArn, expected) => {
    // Prepare
    const rule = cacheRule({
      ecrRepositoryPrefix: 'docker-hub',
      upstreamRegistry: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      ...(credentialArn ? { credentialArn } : {}),
    });

    // Act
    const [finding] = judge(
      'ecr.pull-through-cache',
      settings({
        pullThroughCacheRules: known([rule]),
        repositoryCreationTemplates: known([template({ prefix: 'docker-hub' })]),
      }),
    );

    // Assess
    expect(finding!.status).toBe('violation');
    expect(finding!.message).toContain(expected);
  });

  it('reports a rule whose prefix no template covers', () => {
    // Act
    const [finding] = judge(
      'ecr.pull-through-cache',
      settings({ pullThroughCacheRules: known([cacheRule()]) }),
    );

    // Assess
    expect(finding!.status).toBe('violation');
    expect(finding!.message).toContain('no repository creation template');
  });

  it('says not-visible when the templates were not captured', () => {
    // Act
    const [finding] = judge(
      'ecr.pull-through-cache',
      settings({
        pullThroughCacheRules: known([cacheRule()]),
        repositoryCreationTemplates: unknown('the snapshot does not record it'),
      }),
    );

    // Assess
    expect(finding!.status).toBe('not-visible');
  });

  it('says not-visible on the rules’ identifier when they could not be listed', () => {
    // Act
    const findings = judge(
      'ecr.pull-through-cache',
      settings({ pullThroughCacheRules: unknown('AccessDeniedException') }),
    );

    // Assess
    expect(findings).toEqual([
      expect.objectContaining({ status: 'not-visible', resourceArn: `${ARN}:pull-through-cache-rule/*` }),
    ]);
  });
});

describe('ecr.creation-templates', () => {
  it('judges the repository a template would create with the repository rules in force', () => {
    // Prepare
    const weak = template({
      imageTagMutability: 'MUTABLE',
      lifecyclePolicy: undefined,
      encryptionConfiguration: { encryptionType: 'AES256' },
    });

    // Act
    const [finding] = judge(
      'ecr.creation-templates',
      settings({ pullThroughCacheRules: known([cacheRule()]), repositoryCreationTemplates: known([weak]) }),
    );

    // Assess
    expect(finding).toMatchObject({
      status: 'violation',
      resourceType: 'AWS::ECR::RepositoryCreationTemplate',
      resourceArn: `${ARN}:repository-creation-template/ecr-public`,
      remediable: false,
    });
    expect(finding!.message).toContain('ecr.tag-immutability');
    expect(finding!.message).toContain('ecr.lifecycle-policy');
    expect(finding!.message).toContain('ecr.encryption');
  });

  it('does not judge a template by a repository rule that is off', () => {
    // Prepare
    const guardrails = guardrailsWith('ecr.encryption', { mode: 'off' });
    const aes = template({ encryptionConfiguration: { encryptionType: 'AES256' }, customRoleArn: undefined });

    // Act
    const [finding] = judge(
      'ecr.creation-templates',
      settings({ pullThroughCacheRules: known([cacheRule()]), repositoryCreationTemplates: known([aes]) }),
      guardrails,
    );

    // Assess
    expect(finding!.status).toBe('compliant');
  });

  it('reports a KMS template without the custom role ECR needs', () => {
    // Act
    const [finding] = judge(
      'ecr.creation-templates',
      settings({
        pullThroughCacheRules: known([cacheRule()]),
        repositoryCreationTemplates: known([template({ customRoleArn: undefined })]),
      }),
    );

    // Assess
    expect(finding!.status).toBe('violation');
    expect(finding!.message).toContain('no customRoleArn');
  });

  it('reports ROOT as missing when the registry policy lets another account replicate into the registry', () => {
    // Prepare
    const registryPolicyText = known(
      JSON.stringify({
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${PARTNER}:root` },
            Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
            Resource: `${ARN}:repository/*`,
          },
        ],
      }),
    );

    // Act
    const findings = judge('ecr.creation-templates', settings({ registryPolicyText }));

    // Assess
    expect(findings).toEqual([
      expect.objectContaining({
        status: 'violation',
        resourceArn: `${ARN}:repository-creation-template/ROOT`,
        message: expect.stringContaining('REPLICATION'),
      }),
    ]);
  });

  it('creates the missing template with the guardrails’ settings and the configured custom role', () => {
    // Prepare
    const role = `arn:aws:iam::${ACCOUNT}:role/ecr-template-role`;

    // Act
    const plans = plan(
      'ecr.creation-templates',
      settings({ pullThroughCacheRules: known([cacheRule()]) }),
      remediate('ecr.creation-templates', { customRoleArn: role }),
    );

    // Assess
    expect(plans).toHaveLength(1);
    expect(plans[0]!.write).toMatchObject({
      type: 'CreateRepositoryCreationTemplate',
      prefix: 'ecr-public',
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'IMMUTABLE',
      encryptionConfiguration: { encryptionType: 'KMS' },
      customRoleArn: role,
    });
    expect(
      JSON.parse((plans[0]!.write as { lifecyclePolicy: string }).lifecyclePolicy).rules,
    ).not.toHaveLength(0);
  });

  it('refuses to create a KMS template when no custom role is configured, saying so', () => {
    // Act
    const [finding] = judge(
      'ecr.creation-templates',
      settings({ pullThroughCacheRules: known([cacheRule()]) }),
    );

    // Assess
    expect(finding!.status).toBe('violation');
    expect(finding!.remediable).toBe(false);
    expect(finding!.message).toContain('customRoleArn');
  });

  it('updates a weak template’s lifecycle policy and tag mutability, keeping its encryption', () => {
    // Prepare
    const weak = template({ imageTagMutability: 'MUTABLE', lifecyclePolicy: undefined });

    // Act
    const plans = plan(
      'ecr.creation-templates',
      settings({ pullThroughCacheRules: known([cacheRule()]), repositoryCreationTemplates: known([weak]) }),
      remediate('ecr.creation-templates'),
    );

    // Assess
    expect(plans).toHaveLength(1);
    expect(plans[0]!.write).toMatchObject({
      type: 'UpdateRepositoryCreationTemplate',
      prefix: 'ecr-public',
      imageTagMutability: 'IMMUTABLE',
      encryptionConfiguration: weak.encryptionConfiguration,
      customRoleArn: weak.customRoleArn,
    });
    expect((plans[0]!.write as { lifecyclePolicy?: string }).lifecyclePolicy).toBeDefined();
  });
});
