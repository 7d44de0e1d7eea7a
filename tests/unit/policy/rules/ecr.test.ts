import { encryptionRule } from '../../../../lib/policy/rules/ecr/encryption';
import { lifecyclePolicyRule } from '../../../../lib/policy/rules/ecr/lifecycle-policy';
import { repositoryPolicyRule } from '../../../../lib/policy/rules/ecr/repository-policy';
import { scanOnPushRule } from '../../../../lib/policy/rules/ecr/scan-on-push';
import { tagImmutabilityRule } from '../../../../lib/policy/rules/ecr/tag-immutability';
import { awsSample } from '../../../fixtures/load';
import {
  goodLifecyclePolicy,
  guardrailsWith,
  NOW,
  repository,
  ruleContext,
} from '../../../fixtures/builders';

const untaggedImage = (digest: string, daysAgo: number) => ({
  imageDigest: `sha256:${digest.padEnd(64, '0')}`,
  imagePushedAt: new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString(),
});

describe('ecr.lifecycle-policy', () => {
  test('a repository without a lifecycle policy is a remediable violation', () => {
    const outcome = lifecyclePolicyRule(repository('a', { lifecyclePolicyText: undefined }), ruleContext());

    expect(outcome).toMatchObject({ status: 'violation', remediable: true, details: { reason: 'missing' } });
  });

  test('a policy expiring untagged images within the limit is compliant', () => {
    const outcome = lifecyclePolicyRule(
      repository('a', { lifecyclePolicyText: goodLifecyclePolicy(14) }),
      ruleContext(),
    );

    expect(outcome.status).toBe('compliant');
  });

  test('existence alone is not compliance: expiring untagged images after 30 days breaks a 14-day limit', () => {
    const outcome = lifecyclePolicyRule(
      repository('a', { lifecyclePolicyText: goodLifecyclePolicy(30) }),
      ruleContext(),
    );

    expect(outcome.status).toBe('violation');
    expect(outcome.message).toMatch(/within 14 days.*after 30 days/);
  });

  test('the official AWS CLI example policy (untagged after 14 days) is compliant with the defaults', () => {
    const policy = awsSample('ecr-lifecycle-policy.example.aws-cli-put-lifecycle-policy.json');

    const outcome = lifecyclePolicyRule(
      repository('a', { lifecyclePolicyText: JSON.stringify(policy) }),
      ruleContext(),
    );

    expect(outcome.status).toBe('compliant');
  });

  test('a too-slow untagged rule is not auto-remediable: a second untagged rule cannot be merged next to it', () => {
    const outcome = lifecyclePolicyRule(
      repository('a', { lifecyclePolicyText: goodLifecyclePolicy(30) }),
      ruleContext(),
    );

    expect(outcome).toMatchObject({ status: 'violation', remediable: false });
    expect(outcome.message).toMatch(/not fixed automatically: the required rule cannot be merged/);
  });

  test('a policy that only caps tagged images leaves untagged images unmanaged', () => {
    const text = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'tagged',
            tagPrefixList: ['v'],
            countType: 'imageCountMoreThan',
            countNumber: 10,
          },
          action: { type: 'expire' },
        },
      ],
    });

    const outcome = lifecyclePolicyRule(repository('a', { lifecyclePolicyText: text }), ruleContext());

    expect(outcome.status).toBe('violation');
    expect(outcome.message).toMatch(/no rule expires them/);
  });

  test('keeping at most N untagged images satisfies the rule when a count limit is configured', () => {
    const text = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 5 },
          action: { type: 'expire' },
        },
      ],
    });
    const guardrails = guardrailsWith('ecr.lifecycle-policy', { maxUntaggedCount: 10 });

    const outcome = lifecyclePolicyRule(
      repository('a', { lifecyclePolicyText: text }),
      ruleContext({ guardrails }),
    );

    expect(outcome.status).toBe('compliant');
  });

  test('a configured cap on tagged images is enforced', () => {
    const guardrails = guardrailsWith('ecr.lifecycle-policy', { taggedImages: { maxCount: 100 } });

    const outcome = lifecyclePolicyRule(repository('a'), ruleContext({ guardrails }));

    expect(outcome.status).toBe('violation');
    expect(outcome.message).toMatch(/tagged images must be capped \(keep at most 100\)/);
  });

  test('an invalid policy text is a violation that is not auto-remediable', () => {
    const outcome = lifecyclePolicyRule(
      repository('a', { lifecyclePolicyText: '{"rules": []}' }),
      ruleContext(),
    );

    expect(outcome).toMatchObject({ status: 'violation', remediable: false, details: { reason: 'invalid' } });
  });

  test('the finding says how many images the current policy would expire now', () => {
    const images = [untaggedImage('a', 30), untaggedImage('b', 20), untaggedImage('c', 1)];

    const outcome = lifecyclePolicyRule(repository('a', { images }), ruleContext());

    expect(outcome.details).toMatchObject({ wouldExpireNow: 2, images: 3 });
    expect(outcome.message).toMatch(/would expire 2 of 3 images now/);
  });
});

describe('ecr.scan-on-push', () => {
  const registry = (
    scanType: 'BASIC' | 'ENHANCED',
    filter: string,
    scanFrequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL',
  ) => ({
    registryScanning: {
      scanType,
      rules: [{ scanFrequency, repositoryFilters: [{ filter, filterType: 'WILDCARD' as const }] }],
    },
  });

  test('repository scanOnPush is compliant', () => {
    expect(scanOnPushRule(repository('a'), ruleContext()).status).toBe('compliant');
  });

  test('scanOnPush off and no registry rule is a remediable violation', () => {
    const outcome = scanOnPushRule(
      repository('a', { imageScanningConfiguration: { scanOnPush: false } }),
      ruleContext(),
    );

    expect(outcome).toMatchObject({ status: 'violation', remediable: true });
  });

  test('a basic registry scan-on-push rule whose wildcard matches covers the repository', () => {
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });

    expect(
      scanOnPushRule(repo, ruleContext({ view: registry('BASIC', 'team/*', 'SCAN_ON_PUSH') })).status,
    ).toBe('compliant');
  });

  test('a registry rule whose filter does not match does not cover the repository', () => {
    const repo = repository('other/app', { imageScanningConfiguration: { scanOnPush: false } });

    expect(
      scanOnPushRule(repo, ruleContext({ view: registry('BASIC', 'team/*', 'SCAN_ON_PUSH') })).status,
    ).toBe('violation');
  });

  test('a MANUAL registry rule does not count as scanning on push', () => {
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });

    expect(scanOnPushRule(repo, ruleContext({ view: registry('BASIC', '*', 'MANUAL') })).status).toBe(
      'violation',
    );
  });

  test('enhanced continuous scanning covering the repository is compliant', () => {
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: false } });

    expect(
      scanOnPushRule(repo, ruleContext({ view: registry('ENHANCED', 'team', 'CONTINUOUS_SCAN') })).status,
    ).toBe('compliant');
  });

  test('with enhanced scanning the repository-level scanOnPush setting no longer counts', () => {
    const repo = repository('team/app', { imageScanningConfiguration: { scanOnPush: true } });

    expect(
      scanOnPushRule(repo, ruleContext({ view: registry('ENHANCED', 'other', 'SCAN_ON_PUSH') })).status,
    ).toBe('violation');
  });

  test('an unreadable registry configuration makes an otherwise-uncovered repository not-visible', () => {
    const repo = repository('a', { imageScanningConfiguration: { scanOnPush: false } });

    expect(scanOnPushRule(repo, ruleContext({ view: { registryScanningUnreadable: true } })).status).toBe(
      'not-visible',
    );
  });
});

describe('ecr.tag-immutability', () => {
  test.each(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION'] as const)('%s is compliant by default', (mode) => {
    expect(tagImmutabilityRule(repository('a', { imageTagMutability: mode }), ruleContext()).status).toBe(
      'compliant',
    );
  });

  test.each(['MUTABLE', 'MUTABLE_WITH_EXCLUSION'] as const)(
    '%s is a remediable violation by default',
    (mode) => {
      expect(tagImmutabilityRule(repository('a', { imageTagMutability: mode }), ruleContext())).toMatchObject(
        {
          status: 'violation',
          remediable: true,
        },
      );
    },
  );

  test('which modes count is configurable', () => {
    const guardrails = guardrailsWith('ecr.tag-immutability', { allowedModes: ['IMMUTABLE'] });

    const outcome = tagImmutabilityRule(
      repository('a', { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' }),
      ruleContext({ guardrails }),
    );

    expect(outcome.status).toBe('violation');
  });

  test('a repository without the field (older API output) is treated as MUTABLE', () => {
    expect(
      tagImmutabilityRule(repository('a', { imageTagMutability: undefined }), ruleContext()).status,
    ).toBe('violation');
  });
});

describe('ecr.encryption', () => {
  test('AES256 is a violation that is never remediable and says why', () => {
    const outcome = encryptionRule(
      repository('a', { encryptionConfiguration: { encryptionType: 'AES256' } }),
      ruleContext(),
    );

    expect(outcome).toMatchObject({ status: 'violation', remediable: false });
    expect(outcome.message).toMatch(/cannot be changed after a repository is created/);
  });

  test('KMS is compliant when no key list is configured', () => {
    expect(encryptionRule(repository('a'), ruleContext()).status).toBe('compliant');
  });

  test('KMS with a key outside the configured list is a violation', () => {
    const guardrails = guardrailsWith('ecr.encryption', {
      kmsKeyArns: ['arn:aws:kms:us-east-1:123456789012:key/other'],
    });

    expect(encryptionRule(repository('a'), ruleContext({ guardrails })).status).toBe('violation');
  });

  test('KMS with one of the configured keys is compliant', () => {
    const guardrails = guardrailsWith('ecr.encryption', {
      kmsKeyArns: ['arn:aws:kms:us-east-1:123456789012:key/k1'],
    });

    expect(encryptionRule(repository('a'), ruleContext({ guardrails })).status).toBe('compliant');
  });
});

describe('ecr.repository-policy', () => {
  const policy = (...statements: object[]) =>
    JSON.stringify({ Version: '2012-10-17', Statement: statements });

  test('no repository policy is compliant', () => {
    expect(repositoryPolicyRule(repository('a'), ruleContext()).status).toBe('compliant');
  });

  test('Principal * without a condition is a violation naming the statement', () => {
    const text = policy({ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' });

    const outcome = repositoryPolicyRule(repository('a', { repositoryPolicyText: text }), ruleContext());

    expect(outcome).toMatchObject({ status: 'violation', remediable: true });
    expect(outcome.message).toMatch(/Public: grants access to \* \(everyone\)/);
  });

  test('Principal {"AWS": "*"} is treated like Principal *', () => {
    const text = policy({ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 'ecr:*' });

    expect(repositoryPolicyRule(repository('a', { repositoryPolicyText: text }), ruleContext()).status).toBe(
      'violation',
    );
  });

  test('Principal * limited to the own account by aws:PrincipalAccount is compliant', () => {
    const text = policy({
      Effect: 'Allow',
      Principal: '*',
      Action: 'ecr:BatchGetImage',
      Condition: { StringEquals: { 'aws:PrincipalAccount': '123456789012' } },
    });

    expect(repositoryPolicyRule(repository('a', { repositoryPolicyText: text }), ruleContext()).status).toBe(
      'compliant',
    );
  });

  test('Principal * limited to an allowed organization is compliant', () => {
    const text = policy({
      Effect: 'Allow',
      Principal: '*',
      Action: 'ecr:BatchGetImage',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    });
    const guardrails = guardrailsWith('ecr.repository-policy', { allowedOrganizations: ['o-a1b2c3d4e5'] });

    expect(
      repositoryPolicyRule(repository('a', { repositoryPolicyText: text }), ruleContext({ guardrails }))
        .status,
    ).toBe('compliant');
  });

  test('a negated condition does not limit a * principal', () => {
    const text = policy({
      Effect: 'Allow',
      Principal: '*',
      Action: 'ecr:BatchGetImage',
      Condition: { StringNotEquals: { 'aws:PrincipalAccount': '999988887777' } },
    });

    expect(repositoryPolicyRule(repository('a', { repositoryPolicyText: text }), ruleContext()).status).toBe(
      'violation',
    );
  });

  test('another account is a violation unless allowlisted', () => {
    const text = policy({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::999988887777:root' },
      Action: 'ecr:BatchGetImage',
    });
    const allowing = guardrailsWith('ecr.repository-policy', { allowedAccounts: ['999988887777'] });

    expect(repositoryPolicyRule(repository('a', { repositoryPolicyText: text }), ruleContext()).status).toBe(
      'violation',
    );
    expect(
      repositoryPolicyRule(
        repository('a', { repositoryPolicyText: text }),
        ruleContext({ guardrails: allowing }),
      ).status,
    ).toBe('compliant');
  });

  test('the own account and service principals are fine; Deny statements are never offending', () => {
    const text = policy(
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/ci' }, Action: 'ecr:PutImage' },
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'ecr:BatchGetImage' },
      { Effect: 'Deny', Principal: '*', Action: 'ecr:DeleteRepository' },
    );

    expect(repositoryPolicyRule(repository('a', { repositoryPolicyText: text }), ruleContext()).status).toBe(
      'compliant',
    );
  });

  test('the finding lists only the offending statements by index', () => {
    const text = policy(
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/ci' }, Action: 'ecr:PutImage' },
      { Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' },
    );

    const outcome = repositoryPolicyRule(repository('a', { repositoryPolicyText: text }), ruleContext());

    expect(outcome.details?.offendingStatements).toEqual([
      { index: 1, reason: expect.stringMatching(/everyone/), removable: true },
    ]);
  });
});
