/**
 * Remediation plans on plain data: a repository, its findings and the guardrails in, the writes (or the refusal)
 * out. No account, no mocks.
 */
import fc from 'fast-check';
import type { Finding } from '../../../lib/policy/findings';
import { defaultGuardrails, type Guardrails, type RuleId } from '../../../lib/policy/guardrails';
import { parseLifecyclePolicy, type LifecyclePolicy } from '../../../lib/policy/lifecycle/grammar';
import type { ImageDetail, RegistryScanningConfiguration, Repository } from '../../../lib/policy/model';
import { planRepositoryRemediation, type PlannedChange } from '../../../lib/policy/remediation';
import { evaluateRepository } from '../../../lib/policy/evaluate';
import { ACCOUNT, NOW, accountView, guardrailsWith, repository } from '../../fixtures/builders';

const ECR_RULES = [
  'ecr.lifecycle-policy',
  'ecr.scan-on-push',
  'ecr.tag-immutability',
  'ecr.repository-policy',
] as const satisfies readonly RuleId[];

/** A remediable violation of `ruleId` on `repo`, as evaluateRepository reports it. */
function violation(repo: Repository, ruleId: RuleId, details?: Record<string, unknown>): Finding {
  return {
    ruleId,
    resourceType: 'AWS::ECR::Repository',
    resourceArn: repo.repositoryArn,
    status: 'violation',
    severity: 'high',
    message: `${ruleId} is violated`,
    remediable: true,
    ...(details ? { details } : {}),
  };
}

function plan(
  repo: Repository,
  findings: Finding[],
  guardrails: Guardrails = defaultGuardrails(),
  registryScanning?: RegistryScanningConfiguration,
): PlannedChange[] {
  return planRepositoryRemediation(repo, findings, {
    guardrails,
    now: NOW,
    ...(registryScanning ? { registryScanning } : {}),
  });
}

/** The single plan the findings lead to. */
function onlyPlan(
  repo: Repository,
  findings: Finding[],
  guardrails?: Guardrails,
  registryScanning?: RegistryScanningConfiguration,
): PlannedChange {
  const plans = plan(repo, findings, guardrails, registryScanning);
  expect(plans).toHaveLength(1);
  return plans[0]!;
}

function lifecyclePolicyOf(write: PlannedChange['write']): LifecyclePolicy {
  if (write?.type !== 'PutLifecyclePolicy')
    throw new Error(`expected PutLifecyclePolicy, got ${write?.type}`);
  const parsed = parseLifecyclePolicy(write.lifecyclePolicyText);
  if (!parsed.ok) throw new Error(`planned policy is invalid: ${parsed.errors.join('; ')}`);
  return parsed.policy;
}

const untaggedRule = (days: number) => ({
  selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days },
  action: { type: 'expire' },
});

/** A policy that caps tagged images only: untagged images are never expired. */
const TAGGED_ONLY_RULES = [
  {
    rulePriority: 3,
    description: 'Keep last 30 release images',
    selection: {
      tagStatus: 'tagged',
      tagPrefixList: ['v'],
      countType: 'imageCountMoreThan',
      countNumber: 30,
    },
    action: { type: 'expire' },
  },
  {
    rulePriority: 7,
    description: 'Expire feature builds after 60 days',
    selection: {
      tagStatus: 'tagged',
      tagPatternList: ['feature-*'],
      countType: 'sinceImagePushed',
      countUnit: 'days',
      countNumber: 60,
    },
    action: { type: 'expire' },
  },
];

const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function image(n: number, pushedDaysAgo: number, tags?: string[]): ImageDetail {
  return {
    imageDigest: digest(n),
    imagePushedAt: daysAgo(pushedDaysAgo),
    ...(tags ? { imageTags: tags } : {}),
  };
}

describe('planRepositoryRemediation: ecr.lifecycle-policy', () => {
  it('puts the default policy on a repository without one: one untagged rule of maxUntaggedAgeDays', () => {
    // Prepare
    const repo = repository('team/app', { lifecyclePolicyText: undefined });
    const guardrails = guardrailsWith('ecr.lifecycle-policy', { maxUntaggedAgeDays: 10 });

    // Act
    const planned = onlyPlan(
      repo,
      [violation(repo, 'ecr.lifecycle-policy', { reason: 'missing' })],
      guardrails,
    );

    // Assess
    const policy = lifecyclePolicyOf(planned.write);
    expect(policy.rules).toEqual([expect.objectContaining({ rulePriority: 1, ...untaggedRule(10) })]);
    expect(planned.write).toEqual({
      type: 'PutLifecyclePolicy',
      repositoryName: 'team/app',
      registryId: ACCOUNT,
      lifecyclePolicyText: expect.any(String),
    });
    expect(planned).toMatchObject({ ruleId: 'ecr.lifecycle-policy', resourceArn: repo.repositoryArn });
  });

  it('reports before as null and after as the text it writes', () => {
    // Prepare
    const repo = repository('team/app', { lifecyclePolicyText: undefined });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.lifecycle-policy')]);

    // Assess
    expect(planned.before).toBeNull();
    expect(planned.write?.type === 'PutLifecyclePolicy' && planned.write.lifecyclePolicyText).toBe(
      planned.after,
    );
  });

  it('adds a tagged-image cap to the default policy when taggedImages.maxCount is configured', () => {
    // Prepare
    const repo = repository('team/app', { lifecyclePolicyText: undefined });
    const guardrails = guardrailsWith('ecr.lifecycle-policy', { taggedImages: { maxCount: 200 } });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.lifecycle-policy')], guardrails);

    // Assess
    expect(lifecyclePolicyOf(planned.write).rules).toEqual([
      expect.objectContaining({ rulePriority: 1, ...untaggedRule(14) }),
      expect.objectContaining({
        rulePriority: 2,
        selection: {
          tagStatus: 'tagged',
          tagPatternList: ['*'],
          countType: 'imageCountMoreThan',
          countNumber: 200,
        },
        action: { type: 'expire' },
      }),
    ]);
  });

  it('merges an untagged rule into a tagged-only policy, keeping the user rules as they were', () => {
    // Prepare
    const repo = repository('team/app', {
      lifecyclePolicyText: JSON.stringify({ rules: TAGGED_ONLY_RULES }),
    });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.lifecycle-policy', { reason: 'weak' })]);

    // Assess
    const rules = lifecyclePolicyOf(planned.write).rules;
    expect(rules).toHaveLength(3);
    expect(rules).toEqual(expect.arrayContaining(TAGGED_ONLY_RULES));
    const added = rules.find((r) => !TAGGED_ONLY_RULES.some((u) => u.rulePriority === r.rulePriority));
    expect(added).toMatchObject(untaggedRule(14));
  });

  it('gives the merged untagged rule a priority no user rule uses', () => {
    // Prepare
    const repo = repository('team/app', {
      lifecyclePolicyText: JSON.stringify({ rules: TAGGED_ONLY_RULES }),
    });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.lifecycle-policy')]);

    // Assess
    const priorities = lifecyclePolicyOf(planned.write).rules.map((r) => r.rulePriority);
    expect(new Set(priorities).size).toBe(priorities.length);
  });

  it('refuses, without a write, when the policy already has an untagged rule (30 days) that cannot be merged', () => {
    // Prepare
    const text = JSON.stringify({ rules: [{ rulePriority: 1, ...untaggedRule(30) }] });
    const repo = repository('team/app', { lifecyclePolicyText: text });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.lifecycle-policy', { reason: 'weak' })]);

    // Assess
    expect(planned.write).toBeUndefined();
    expect(planned.refused).toMatch(
      /^the required rule cannot be merged into the current policy: .*untagged/,
    );
    expect(planned).toMatchObject({ before: text, after: null });
  });

  it('refuses when the policy would expire more than maxExpireShare of the images at once', () => {
    // Prepare: 2 of 4 images are untagged and older than 14 days: 50% > 25%.
    const repo = repository('team/app', {
      lifecyclePolicyText: undefined,
      images: [image(1, 40), image(2, 90), image(3, 1, ['v1']), image(4, 2, ['v2'])],
    });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.lifecycle-policy')]);

    // Assess
    expect(planned.write).toBeUndefined();
    expect(planned.refused).toBe('the policy would expire 2 of 4 images at once (50% > maxExpireShare 25%)');
  });

  it('plans the write when the policy expires exactly maxExpireShare of the images', () => {
    // Prepare: 1 of 4 images is untagged and older than 14 days: 25%, not more.
    const repo = repository('team/app', {
      lifecyclePolicyText: undefined,
      images: [image(1, 40), image(2, 3), image(3, 1, ['v1']), image(4, 2, ['v2'])],
    });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.lifecycle-policy')]);

    // Assess
    expect(planned.refused).toBeUndefined();
    expect(planned.write?.type).toBe('PutLifecyclePolicy');
  });

  it('refuses to touch a policy that is not valid lifecycle grammar', () => {
    // Prepare
    const repo = repository('team/app', { lifecyclePolicyText: '{"rules": "no"}' });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.lifecycle-policy')]);

    // Assess
    expect(planned.write).toBeUndefined();
    expect(planned.refused).toMatch(/not valid lifecycle grammar/);
  });
});

describe('planRepositoryRemediation: ecr.scan-on-push', () => {
  it('turns on scanOnPush on the repository at level repository', () => {
    // Prepare
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.scan-on-push')]);

    // Assess
    expect(planned).toMatchObject({
      write: {
        type: 'PutImageScanningConfiguration',
        repositoryName: 'team/app',
        registryId: ACCOUNT,
        scanOnPush: true,
      },
      before: { scanOnPush: false },
      after: { scanOnPush: true },
    });
  });

  it('adds the repository to the registry scan-on-push rule at level registry, keeping its filters', () => {
    // Prepare
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });
    const registry: RegistryScanningConfiguration = {
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [{ filter: 'payments/*', filterType: 'WILDCARD' }],
        },
      ],
    };

    // Act
    const planned = onlyPlan(
      repo,
      [violation(repo, 'ecr.scan-on-push')],
      guardrailsWith('ecr.scan-on-push', { level: 'registry' }),
      registry,
    );

    // Assess
    expect(planned.write).toEqual({
      type: 'PutRegistryScanningConfiguration',
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [
            { filter: 'payments/*', filterType: 'WILDCARD' },
            { filter: 'team/app', filterType: 'WILDCARD' },
          ],
        },
      ],
    });
    expect(planned.before).toEqual(registry);
  });

  it('creates a BASIC scan-on-push rule at level registry when the registry has no configuration', () => {
    // Prepare
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });

    // Act
    const planned = onlyPlan(
      repo,
      [violation(repo, 'ecr.scan-on-push')],
      guardrailsWith('ecr.scan-on-push', { level: 'registry' }),
    );

    // Assess
    expect(planned.write).toEqual({
      type: 'PutRegistryScanningConfiguration',
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [{ filter: 'team/app', filterType: 'WILDCARD' }],
        },
      ],
    });
  });

  it('keeps a MANUAL registry rule when it adds a scan-on-push rule', () => {
    // Prepare
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });
    const manual = {
      scanFrequency: 'MANUAL' as const,
      repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' as const }],
    };

    // Act
    const planned = onlyPlan(
      repo,
      [violation(repo, 'ecr.scan-on-push')],
      guardrailsWith('ecr.scan-on-push', { level: 'registry' }),
      { scanType: 'BASIC', rules: [manual] },
    );

    // Assess
    expect(planned.write).toMatchObject({
      rules: [
        manual,
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [{ filter: 'team/app', filterType: 'WILDCARD' }],
        },
      ],
    });
  });

  it('with ENHANCED scanning, fixes at the registry even at level repository, keeping the existing rules', () => {
    // Prepare
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });
    const onPush = {
      scanFrequency: 'SCAN_ON_PUSH' as const,
      repositoryFilters: [{ filter: 'prod-*', filterType: 'WILDCARD' as const }],
    };
    const registry: RegistryScanningConfiguration = { scanType: 'ENHANCED', rules: [onPush] };

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.scan-on-push')], defaultGuardrails(), registry);

    // Assess
    expect(planned.write).toEqual({
      type: 'PutRegistryScanningConfiguration',
      scanType: 'ENHANCED',
      rules: [
        onPush,
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: [{ filter: 'team/app', filterType: 'WILDCARD' }],
        },
      ],
    });
  });

  it('with ENHANCED scanning, appends the repository to an existing continuous-scan rule', () => {
    // Prepare
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: true } });
    const registry: RegistryScanningConfiguration = {
      scanType: 'ENHANCED',
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: [{ filter: 'prod-*', filterType: 'WILDCARD' }],
        },
      ],
    };

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.scan-on-push')], defaultGuardrails(), registry);

    // Assess
    expect(planned.write).toMatchObject({
      rules: [
        {
          scanFrequency: 'CONTINUOUS_SCAN',
          repositoryFilters: [
            { filter: 'prod-*', filterType: 'WILDCARD' },
            { filter: 'team/app', filterType: 'WILDCARD' },
          ],
        },
      ],
    });
  });

  it('does not modify the registry configuration it was given', () => {
    // Prepare
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });
    const registry: RegistryScanningConfiguration = {
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [{ filter: 'payments/*', filterType: 'WILDCARD' }],
        },
      ],
    };
    const copy = structuredClone(registry);

    // Act
    plan(
      repo,
      [violation(repo, 'ecr.scan-on-push')],
      guardrailsWith('ecr.scan-on-push', { level: 'registry' }),
      registry,
    );

    // Assess
    expect(registry).toEqual(copy);
  });

  it('never plans a registry rule with more than the 100 filters ECR accepts', () => {
    // Prepare
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });
    const full: RegistryScanningConfiguration = {
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: Array.from({ length: 100 }, (_, i) => ({
            filter: `svc-${i}`,
            filterType: 'WILDCARD' as const,
          })),
        },
      ],
    };

    // Act
    const planned = onlyPlan(
      repo,
      [violation(repo, 'ecr.scan-on-push')],
      guardrailsWith('ecr.scan-on-push', { level: 'registry' }),
      full,
    );

    // Assess
    const write = planned.write;
    const filterCounts =
      write?.type === 'PutRegistryScanningConfiguration'
        ? write.rules.map((r) => r.repositoryFilters.length)
        : [];
    expect(Math.max(0, ...filterCounts)).toBeLessThanOrEqual(100);
  });

  it('plans registry filters that ECR accepts for a repository name with a double dash', () => {
    // Prepare
    const repo = repository('team/my--app', { imageScanningConfiguration: { scanOnPush: false } });

    // Act
    const planned = onlyPlan(
      repo,
      [violation(repo, 'ecr.scan-on-push')],
      guardrailsWith('ecr.scan-on-push', { level: 'registry' }),
    );

    // Assess
    const write = planned.write;
    const filters =
      write?.type === 'PutRegistryScanningConfiguration'
        ? write.rules.flatMap((r) => r.repositoryFilters)
        : [];
    for (const { filter } of filters) expect(filter).toMatch(/^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$/);
  });
});

describe('planRepositoryRemediation: ecr.scan-on-push registry filters in linear time', () => {
  /** The filter pattern before it was made unambiguous, as the oracle of what ECR accepts. */
  const OLD_REGISTRY_FILTER = /^[a-z0-9*](?:[._-]?[a-z0-9*]+)*(?:\/[a-z0-9*](?:[._-]?[a-z0-9*]+)*)*$/;
  const registryLevel = guardrailsWith('ecr.scan-on-push', { level: 'registry' });
  const planFor = (name: string) => {
    const repo = repository(name, { imageScanningConfiguration: { scanOnPush: false } });
    return onlyPlan(repo, [violation(repo, 'ecr.scan-on-push')], registryLevel);
  };

  it('adds a registry filter exactly for the names the former pattern accepted', () => {
    const name = fc
      .array(fc.constantFrom('a', '1', '*', '.', '_', '-', '/', 'A'), { minLength: 1, maxLength: 12 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(name, (n) => {
        // Act
        const planned = planFor(n);

        // Assess
        expect(planned.write?.type === 'PutRegistryScanningConfiguration').toBe(OLD_REGISTRY_FILTER.test(n));
      }),
      { numRuns: 2000 },
    );
  });

  it('judges a long repository name with a double dash at once', () => {
    // Prepare
    const name = `${'a'.repeat(200)}--b`;
    const start = performance.now();

    // Act
    const planned = planFor(name);

    // Assess
    expect(planned.write?.type).toBe('PutImageScanningConfiguration');
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('planRepositoryRemediation: ecr.tag-immutability', () => {
  it('makes MUTABLE tags IMMUTABLE, without exclusion filters', () => {
    // Prepare
    const repo = repository('team/app', { imageTagMutability: 'MUTABLE' });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.tag-immutability')]);

    // Assess
    expect(planned.write).toEqual({
      type: 'PutImageTagMutability',
      repositoryName: 'team/app',
      registryId: ACCOUNT,
      imageTagMutability: 'IMMUTABLE',
    });
    expect(planned).toMatchObject({ before: 'MUTABLE', after: 'IMMUTABLE' });
  });

  it('treats a repository without imageTagMutability as MUTABLE', () => {
    // Prepare
    const repo = repository('team/app', { imageTagMutability: undefined });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.tag-immutability')]);

    // Assess
    expect(planned).toMatchObject({ before: 'MUTABLE', after: 'IMMUTABLE' });
  });

  it('turns MUTABLE_WITH_EXCLUSION into an immutable mode', () => {
    // Prepare
    const filters = [{ filterType: 'WILDCARD', filter: 'release-*' }];
    const repo = repository('team/app', {
      imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: filters,
    });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.tag-immutability')]);

    // Assess
    expect(planned.write).toMatchObject({ imageTagMutability: expect.stringMatching(/^IMMUTABLE/) });
  });

  it('keeps the tags MUTABLE_WITH_EXCLUSION protected immutable (does not carry its filters over)', () => {
    // Prepare
    const filters = [{ filterType: 'WILDCARD', filter: 'release-*' }];
    const repo = repository('team/app', {
      imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: filters,
    });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.tag-immutability')]);

    // Assess
    expect(planned.write).toEqual({
      type: 'PutImageTagMutability',
      repositoryName: 'team/app',
      registryId: ACCOUNT,
      imageTagMutability: 'IMMUTABLE',
    });
  });

  it('writes a mode the guardrails allow when IMMUTABLE_WITH_EXCLUSION is not allowed', () => {
    // Prepare
    const repo = repository('team/app', {
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'dev-*' }],
    });
    const guardrails = guardrailsWith('ecr.tag-immutability', { allowedModes: ['IMMUTABLE'] });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.tag-immutability')], guardrails);

    // Assess
    expect(planned.write).toMatchObject({ imageTagMutability: 'IMMUTABLE' });
  });
});

describe('planRepositoryRemediation: ecr.repository-policy', () => {
  const publicPull = {
    Sid: 'AllowPull',
    Effect: 'Allow',
    Principal: '*',
    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
  };
  const ciPush = {
    Sid: 'CiPush',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/ci` },
    Action: ['ecr:PutImage'],
  };
  const partnerPull = {
    Sid: 'PartnerPull',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::999988887777:root' },
    Action: ['ecr:BatchGetImage'],
  };

  it('removes only the offending statements, keeping the others unchanged', () => {
    // Prepare
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [publicPull, ciPush, partnerPull] });
    const repo = repository('team/app', { repositoryPolicyText: text });
    const offendingStatements = [
      { index: 0, sid: 'AllowPull', reason: 'grants access to *', removable: true },
      { index: 2, sid: 'PartnerPull', reason: 'outside the allowed accounts', removable: true },
    ];

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.repository-policy', { offendingStatements })]);

    // Assess
    expect(planned.write).toEqual({
      type: 'SetRepositoryPolicy',
      repositoryName: 'team/app',
      registryId: ACCOUNT,
      policyText: expect.any(String),
    });
    const policyText = planned.write?.type === 'SetRepositoryPolicy' ? planned.write.policyText : '';
    expect(JSON.parse(policyText)).toEqual({ Version: '2012-10-17', Statement: [ciPush] });
    expect(planned).toMatchObject({ before: text, after: policyText });
  });

  it('deletes the policy when every statement offends', () => {
    // Prepare
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [publicPull] });
    const repo = repository('team/app', { repositoryPolicyText: text });
    const offendingStatements = [
      { index: 0, sid: 'AllowPull', reason: 'grants access to *', removable: true },
    ];

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.repository-policy', { offendingStatements })]);

    // Assess
    expect(planned.write).toEqual({
      type: 'DeleteRepositoryPolicy',
      repositoryName: 'team/app',
      registryId: ACCOUNT,
    });
    expect(planned).toMatchObject({ before: text, after: null });
  });

  it('deletes a policy whose single Statement is an object, not a list', () => {
    // Prepare
    const text = JSON.stringify({ Version: '2012-10-17', Statement: publicPull });
    const repo = repository('team/app', { repositoryPolicyText: text });
    const offendingStatements = [
      { index: 0, sid: 'AllowPull', reason: 'grants access to *', removable: true },
    ];

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.repository-policy', { offendingStatements })]);

    // Assess
    expect(planned.write?.type).toBe('DeleteRepositoryPolicy');
  });

  it('refuses (nothing to remove) when the finding names no statement', () => {
    // Prepare
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [ciPush] });
    const repo = repository('team/app', { repositoryPolicyText: text });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.repository-policy', { offendingStatements: [] })]);

    // Assess
    expect(planned.write).toBeUndefined();
    expect(planned.refused).toBe('nothing to remove');
  });
});

describe('planRepositoryRemediation: ecr.repository-policy never removes organization sharing by default', () => {
  const OTHER_ORG = 'o-zzzzzzzzzz';
  const orgPull = {
    Sid: 'OrgPull',
    Effect: 'Allow',
    Principal: '*',
    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    Condition: { StringEquals: { 'aws:PrincipalOrgID': OTHER_ORG } },
  };
  const publicPull = { Sid: 'PublicPull', Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' };

  /** The findings evaluateRepository reports for the repository (own organization unknown). */
  function evaluated(repo: Repository, guardrails: Guardrails): Finding[] {
    const ctx = { view: accountView(), guardrails, now: NOW };
    return evaluateRepository(repo, ctx, new Set<RuleId>(['ecr.repository-policy']));
  }

  it('refuses to remove a statement limited to an unknown organization, saying why', () => {
    // Prepare
    const repo = repository('team/app', {
      repositoryPolicyText: JSON.stringify({ Version: '2012-10-17', Statement: [orgPull] }),
    });
    const offendingStatements = [
      {
        index: 0,
        sid: 'OrgPull',
        reason: 'limited to organizations not allowed',
        removable: false,
        keptBecause: 'it is limited to organization o-zzzzzzzzzz',
      },
    ];

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.repository-policy', { offendingStatements })]);

    // Assess
    expect(planned.write).toBeUndefined();
    expect(planned.refused).toBe(
      'nothing to remove; left in place — OrgPull: it is limited to organization o-zzzzzzzzzz',
    );
  });

  it('removes the open statement and keeps the organization-limited one, from the rule’s own findings', () => {
    // Prepare
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [orgPull, publicPull] });
    const repo = repository('team/app', { repositoryPolicyText: text });
    const guardrails = defaultGuardrails();

    // Act
    const planned = onlyPlan(repo, evaluated(repo, guardrails), guardrails);

    // Assess
    const policyText = planned.write?.type === 'SetRepositoryPolicy' ? planned.write.policyText : '';
    expect(JSON.parse(policyText)).toEqual({ Version: '2012-10-17', Statement: [orgPull] });
  });

  it('plans nothing when the only violation is an organization-limited statement (the finding is not remediable)', () => {
    // Prepare
    const repo = repository('team/app', {
      repositoryPolicyText: JSON.stringify({ Version: '2012-10-17', Statement: [orgPull] }),
    });
    const guardrails = defaultGuardrails();

    // Act
    const plans = plan(repo, evaluated(repo, guardrails), guardrails);

    // Assess
    expect(plans).toEqual([]);
  });

  it('removes it when the organization is in deniedOrganizations', () => {
    // Prepare
    const repo = repository('team/app', {
      repositoryPolicyText: JSON.stringify({ Version: '2012-10-17', Statement: [orgPull] }),
    });
    const guardrails = guardrailsWith('ecr.repository-policy', { deniedOrganizations: [OTHER_ORG] });

    // Act
    const planned = onlyPlan(repo, evaluated(repo, guardrails), guardrails);

    // Assess
    expect(planned.write?.type).toBe('DeleteRepositoryPolicy');
  });
});

describe('planRepositoryRemediation: what is never planned', () => {
  /** A repository violating every remediable ECR rule, and its findings. */
  function violatingEverything(): { repo: Repository; findings: Finding[] } {
    const repo = repository('team/app', {
      lifecyclePolicyText: undefined,
      imageScanningConfiguration: { scanOnPush: false },
      imageTagMutability: 'MUTABLE',
      repositoryPolicyText: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*' }],
      }),
    });
    const findings = ECR_RULES.map((ruleId) =>
      violation(
        repo,
        ruleId,
        ruleId === 'ecr.repository-policy'
          ? { offendingStatements: [{ index: 0, reason: 'grants access to *', removable: true }] }
          : undefined,
      ),
    );
    return { repo, findings };
  }

  it('plans one fix per remediable rule in mode remediate (the baseline of the next tests)', () => {
    // Prepare
    const { repo, findings } = violatingEverything();

    // Act
    const plans = plan(repo, findings);

    // Assess
    expect(plans.map((p) => p.write?.type)).toEqual([
      'PutLifecyclePolicy',
      'PutImageScanningConfiguration',
      'PutImageTagMutability',
      'DeleteRepositoryPolicy',
    ]);
  });

  it('plans nothing for rules in mode report', () => {
    // Prepare
    const { repo, findings } = violatingEverything();
    const guardrails = defaultGuardrails();
    for (const ruleId of ECR_RULES) guardrails.rules[ruleId].mode = 'report';

    // Act
    const plans = plan(repo, findings, guardrails);

    // Assess
    expect(plans).toEqual([]);
  });

  it('plans nothing for rules in mode off', () => {
    // Prepare
    const { repo, findings } = violatingEverything();
    const guardrails = defaultGuardrails();
    for (const ruleId of ECR_RULES) guardrails.rules[ruleId].mode = 'off';

    // Act
    const plans = plan(repo, findings, guardrails);

    // Assess
    expect(plans).toEqual([]);
  });

  it('plans nothing for exempt findings', () => {
    // Prepare
    const { repo, findings } = violatingEverything();
    const exempt = findings.map((f) => ({
      ...f,
      status: 'exempt' as const,
      remediable: false,
      details: { ...f.details, exemption: 'tag buildwarden:exempt=*' },
    }));

    // Act
    const plans = plan(repo, exempt);

    // Assess
    expect(plans).toEqual([]);
  });

  it('plans nothing for a violation without a safe fix (remediable false)', () => {
    // Prepare
    const { repo, findings } = violatingEverything();
    const unfixable = findings.map((f) => ({ ...f, remediable: false }));

    // Act
    const plans = plan(repo, unfixable);

    // Assess
    expect(plans).toEqual([]);
  });

  it('plans nothing for compliant findings', () => {
    // Prepare
    const { repo, findings } = violatingEverything();
    const compliant = findings.map((f) => ({ ...f, status: 'compliant' as const }));

    // Act
    const plans = plan(repo, compliant);

    // Assess
    expect(plans).toEqual([]);
  });
});

describe('planRepositoryRemediation: dry run', () => {
  function repoAndFindings(): { repo: Repository; findings: Finding[] } {
    const repo = repository('team/app', {
      imageScanningConfiguration: { scanOnPush: false },
      imageTagMutability: 'MUTABLE',
    });
    return {
      repo,
      findings: [violation(repo, 'ecr.scan-on-push'), violation(repo, 'ecr.tag-immutability')],
    };
  }

  it('marks no plan dryRun by default', () => {
    // Prepare
    const { repo, findings } = repoAndFindings();

    // Act
    const plans = plan(repo, findings);

    // Assess
    expect(plans.map((p) => p.dryRun)).toEqual([false, false]);
  });

  it('marks every plan dryRun under the global dryRun, still carrying the write', () => {
    // Prepare
    const { repo, findings } = repoAndFindings();
    const guardrails = { ...defaultGuardrails(), dryRun: true };

    // Act
    const plans = plan(repo, findings, guardrails);

    // Assess
    expect(plans.map((p) => [p.ruleId, p.dryRun, p.write?.type])).toEqual([
      ['ecr.scan-on-push', true, 'PutImageScanningConfiguration'],
      ['ecr.tag-immutability', true, 'PutImageTagMutability'],
    ]);
  });

  it("marks only that rule's plans dryRun under a rule's dryRun", () => {
    // Prepare
    const { repo, findings } = repoAndFindings();
    const guardrails = guardrailsWith('ecr.tag-immutability', { dryRun: true });

    // Act
    const plans = plan(repo, findings, guardrails);

    // Assess
    expect(plans.map((p) => [p.ruleId, p.dryRun])).toEqual([
      ['ecr.scan-on-push', false],
      ['ecr.tag-immutability', true],
    ]);
  });
});

describe('planRepositoryRemediation: registry id', () => {
  it('leaves registryId out of the write when the repository has none', () => {
    // Prepare
    const repo = repository('team/app', { imageTagMutability: 'MUTABLE', registryId: undefined });

    // Act
    const planned = onlyPlan(repo, [violation(repo, 'ecr.tag-immutability')]);

    // Assess
    expect(planned.write).not.toHaveProperty('registryId');
  });
});
