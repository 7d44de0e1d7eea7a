import { awsSample } from '../../../fixtures/load';
import type { LifecyclePolicy } from '../../../../lib/policy/lifecycle/grammar';
import {
  LIFECYCLE_POLICY_TEXT_MAX_LENGTH,
  parseLifecyclePolicy,
  serializeLifecyclePolicy,
  validateLifecyclePolicy,
} from '../../../../lib/policy/lifecycle/grammar';

type Json = Record<string, unknown>;

/** A valid rule to start from: untagged images expire 14 days after push. */
function baseRule(
  overrides: { rulePriority?: unknown; selection?: Json; action?: Json; [key: string]: unknown } = {},
) {
  const { selection, action, ...rest } = overrides;
  return {
    rulePriority: 1,
    selection: {
      tagStatus: 'untagged',
      countType: 'sinceImagePushed',
      countUnit: 'days',
      countNumber: 14,
      ...selection,
    },
    action: { type: 'expire', ...action },
    ...rest,
  };
}

/** Removes keys whose value is undefined, so an override can delete a field. */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function errorsOf(value: unknown): string[] {
  const result = validateLifecyclePolicy(withoutUndefined(value));
  return result.ok ? [] : result.errors;
}

const archiveExpiry = (rulePriority: number, countNumber = 365) => ({
  rulePriority,
  selection: {
    tagStatus: 'any',
    storageClass: 'archive',
    countType: 'sinceImageTransitioned',
    countUnit: 'days',
    countNumber,
  },
  action: { type: 'expire' },
});

describe('parseLifecyclePolicy — AWS samples', () => {
  test('the policy file of the aws ecr put-lifecycle-policy example is valid', () => {
    // Prepare
    const text = JSON.stringify(
      awsSample('ecr-lifecycle-policy.example.aws-cli-put-lifecycle-policy.json'),
      null,
      3,
    );

    // Act
    const result = parseLifecyclePolicy(text);

    // Assess
    expect(result).toEqual({
      ok: true,
      policy: {
        rules: [
          {
            rulePriority: 1,
            description: 'Expire images older than 14 days',
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 14,
            },
            action: { type: 'expire' },
          },
        ],
      },
    });
  });

  test('the lifecyclePolicyText returned by aws ecr get-lifecycle-policy is valid', () => {
    // Prepare
    const { lifecyclePolicyText } = awsSample<{ lifecyclePolicyText: string }>(
      'api-ecr-get-lifecycle-policy.aws-cli.json',
    );

    // Act
    const result = parseLifecyclePolicy(lifecyclePolicyText);

    // Assess
    expect(result.ok).toBe(true);
  });

  test('serializing the parsed get-lifecycle-policy text reproduces it exactly', () => {
    // Prepare
    const { lifecyclePolicyText } = awsSample<{ lifecyclePolicyText: string }>(
      'api-ecr-get-lifecycle-policy.aws-cli.json',
    );
    const parsed = parseLifecyclePolicy(lifecyclePolicyText);
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));

    // Act
    const text = serializeLifecyclePolicy(parsed.policy);

    // Assess
    expect(text).toBe(lifecyclePolicyText);
  });

  // The policies of "Examples of lifecycle policies in Amazon ECR" (ECR user guide).
  const userGuideExamples: Array<[string, unknown]> = [
    [
      'Filtering on image age',
      {
        rules: [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['prod*'],
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 14,
            },
            action: { type: 'expire' },
          },
        ],
      },
    ],
    [
      'Filtering on last pulled time',
      {
        rules: [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'any',
              countType: 'sinceImagePulled',
              countUnit: 'days',
              countNumber: 90,
            },
            action: { type: 'transition', targetStorageClass: 'archive' },
          },
        ],
      },
    ],
    ['Filtering on archive transition time', { rules: [archiveExpiry(1)] }],
    [
      'Filtering on image count',
      {
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
            action: { type: 'expire' },
          },
        ],
      },
    ],
    [
      'Filtering on all images, Example B',
      {
        rules: [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['alpha*'],
              countType: 'imageCountMoreThan',
              countNumber: 1,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 1,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 3,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 },
            action: { type: 'expire' },
          },
        ],
      },
    ],
    [
      'Combining archive and expire rules',
      {
        rules: [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'any',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 30,
            },
            action: { type: 'transition', targetStorageClass: 'archive' },
          },
          archiveExpiry(2),
        ],
      },
    ],
  ];

  test.each(userGuideExamples)('the user guide example "%s" is valid', (_name, policy) => {
    // Prepare: the example policy.

    // Act
    const result = validateLifecyclePolicy(policy);

    // Assess
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

describe('parseLifecyclePolicy — text', () => {
  test('text that is not JSON is rejected with the parser message', () => {
    // Prepare
    const text = `{"rules": [${' '.repeat(120)}`;

    // Act
    const result = parseLifecyclePolicy(text);

    // Assess
    expect(result.ok ? [] : result.errors).toEqual([
      expect.stringMatching(/^lifecyclePolicyText: not valid JSON/),
    ]);
  });

  test('text shorter than 100 characters is rejected', () => {
    // Prepare
    const text = '{"rules":[]}';

    // Act
    const result = parseLifecyclePolicy(text);

    // Assess
    expect(result.ok ? [] : result.errors).toEqual([
      'lifecyclePolicyText: 12 characters is below the minimum of 100',
      'rules: at least one rule is required',
    ]);
  });

  test('text longer than 30720 characters is rejected', () => {
    // Prepare
    const text = JSON.stringify({
      rules: [baseRule({ description: 'x'.repeat(LIFECYCLE_POLICY_TEXT_MAX_LENGTH) })],
    });

    // Act
    const result = parseLifecyclePolicy(text);

    // Assess
    expect(result.ok ? [] : result.errors).toEqual([
      `lifecyclePolicyText: ${text.length} characters exceeds the maximum of 30720`,
    ]);
  });

  test('text length is counted in characters, not UTF-16 units', () => {
    // Prepare: 30,000 astral characters are 60,000 UTF-16 units but only 30,000 characters.
    const text = JSON.stringify({ rules: [baseRule({ description: '🐳'.repeat(30_000) })] });

    // Act
    const result = parseLifecyclePolicy(text);

    // Assess
    expect(result.ok).toBe(true);
  });

  test('a parsed policy too long to serialize within the limit is rejected by validateLifecyclePolicy', () => {
    // Prepare
    const policy = { rules: [baseRule({ description: 'x'.repeat(LIFECYCLE_POLICY_TEXT_MAX_LENGTH) })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      expect.stringMatching(/^lifecyclePolicyText: \d+ characters exceeds the maximum of 30720$/),
    ]);
  });
});

describe('validateLifecyclePolicy — structure', () => {
  test('a document without rules is rejected', () => {
    // Prepare
    const policy = {};

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual(['rules: required']);
  });

  test('an empty rules list is rejected', () => {
    // Prepare
    const policy = { rules: [] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual(['rules: at least one rule is required']);
  });

  test('a value that is not an object is rejected', () => {
    // Prepare
    const policy = ['rules'];

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([expect.stringMatching(/^\(root\): /)]);
  });

  test('an unknown property is named with its path', () => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { maxAge: 3 } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].selection.maxAge: unknown property (not part of the lifecycle policy grammar)',
    ]);
  });

  test('an unknown top-level property is rejected', () => {
    // Prepare
    const policy = { rules: [baseRule()], version: 1 };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual(['version: unknown property (not part of the lifecycle policy grammar)']);
  });

  test('a missing rulePriority is reported against the rule index', () => {
    // Prepare
    const policy = { rules: [baseRule({ rulePriority: undefined })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual(['rules[0].rulePriority: required']);
  });

  test.each([0, -1, 1.5, '1'])('rulePriority %p is rejected', (rulePriority) => {
    // Prepare
    const policy = { rules: [baseRule({ rulePriority })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([expect.stringMatching(/^rules\[0\]\.rulePriority: expected a positive integer/)]);
  });

  test('two rules with the same rulePriority are rejected', () => {
    // Prepare
    const policy = {
      rules: [
        baseRule({ rulePriority: 2 }),
        baseRule({ rulePriority: 2, selection: { tagStatus: 'tagged', tagPrefixList: ['v'] } }),
      ],
    };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[0], rules[1].rulePriority: 2 rules share rulePriority 2; each rule needs a unique value',
    ]);
  });

  test('priorities need not be sequential', () => {
    expect(
      errorsOf({
        rules: [
          baseRule({ rulePriority: 10 }),
          baseRule({ rulePriority: 3, selection: { tagStatus: 'tagged', tagPrefixList: ['v'] } }),
        ],
      }),
    ).toEqual([]);
  });

  test('a description that is not a string is rejected', () => {
    // Prepare
    const policy = { rules: [baseRule({ description: 5 })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual(['rules[priority=1].description: expected a string']);
  });

  test('an unknown tagStatus is rejected with the accepted values', () => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { tagStatus: 'TAGGED' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].selection.tagStatus: expected one of tagged | untagged | any',
    ]);
  });

  test('a missing countType is reported as required', () => {
    expect(
      errorsOf({ rules: [baseRule({ selection: { countType: undefined, countUnit: undefined } })] }),
    ).toEqual(['rules[priority=1].selection.countType: required']);
  });

  test.each([0, -3, 2.5])('countNumber %p is rejected', (countNumber) => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { countNumber } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      expect.stringMatching(/^rules\[priority=1\]\.selection\.countNumber: expected a positive integer/),
    ]);
  });

  test('a countUnit other than days is rejected', () => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { countUnit: 'hours' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].selection.countUnit: expected "days" (the only supported unit)',
    ]);
  });

  test('an unknown action type is rejected', () => {
    // Prepare
    const policy = { rules: [baseRule({ action: { type: 'delete' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual(['rules[priority=1].action.type: expected one of expire | transition']);
  });

  test('every problem is reported at once, across rules', () => {
    // Prepare
    const policy = {
      rules: [
        baseRule({ rulePriority: 1, selection: { countUnit: undefined } }),
        baseRule({ rulePriority: 2, selection: { tagStatus: 'tagged' }, action: { type: 'transition' } }),
      ],
    };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].selection.countUnit: required when countType is sinceImagePushed',
      'rules[priority=2].selection.tagPatternList: required when tagStatus is tagged (or give tagPrefixList instead)',
      'rules[priority=2].action.targetStorageClass: required ("archive") when action.type is transition',
    ]);
  });
});

describe('validateLifecyclePolicy — tag selection', () => {
  test('a tagged rule needs a tagPatternList or a tagPrefixList', () => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { tagStatus: 'tagged' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].selection.tagPatternList: required when tagStatus is tagged (or give tagPrefixList instead)',
    ]);
  });

  test('a tagged rule may not have both a tagPatternList and a tagPrefixList', () => {
    expect(
      errorsOf({
        rules: [
          baseRule({ selection: { tagStatus: 'tagged', tagPatternList: ['a*'], tagPrefixList: ['a'] } }),
        ],
      }),
    ).toEqual([
      'rules[priority=1].selection.tagPrefixList: not allowed together with tagPatternList (a rule uses one or the other)',
    ]);
  });

  test.each(['untagged', 'any'])('a %s rule may not have a tagPatternList', (tagStatus) => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { tagStatus, tagPatternList: ['a*'] } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      `rules[priority=1].selection.tagPatternList: only allowed when tagStatus is tagged, not ${tagStatus}`,
    ]);
  });

  test.each(['untagged', 'any'])('a %s rule may not have a tagPrefixList', (tagStatus) => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { tagStatus, tagPrefixList: ['a'] } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      `rules[priority=1].selection.tagPrefixList: only allowed when tagStatus is tagged, not ${tagStatus}`,
    ]);
  });

  test('an empty tag pattern list is rejected', () => {
    expect(
      errorsOf({ rules: [baseRule({ selection: { tagStatus: 'tagged', tagPatternList: [] } })] }),
    ).toEqual(['rules[priority=1].selection.tagPatternList: expected at least one entry']);
  });

  test('an empty tag prefix is rejected', () => {
    expect(
      errorsOf({ rules: [baseRule({ selection: { tagStatus: 'tagged', tagPrefixList: [''] } })] }),
    ).toEqual(['rules[priority=1].selection.tagPrefixList[0]: expected a non-empty string']);
  });

  test('ambiguity: is the wildcard limit four per pattern? — yes; the English user guide calls ["*test*1*2*3", "test*1*2*3*"] valid (the Japanese translation inverts its example)', () => {
    expect(
      errorsOf({
        rules: [
          baseRule({ selection: { tagStatus: 'tagged', tagPatternList: ['*test*1*2*3', 'test*1*2*3*'] } }),
        ],
      }),
    ).toEqual([]);
  });

  test('a pattern with more than four wildcards is rejected, as the guide\'s ["test*1*2*3*4*5*6"]', () => {
    expect(
      errorsOf({
        rules: [
          baseRule({ selection: { tagStatus: 'tagged', tagPatternList: ['ok*', 'test*1*2*3*4*5*6'] } }),
        ],
      }),
    ).toEqual([
      'rules[priority=1].selection.tagPatternList[1]: at most 4 wildcards (*) per pattern, found 6',
    ]);
  });
});

describe('validateLifecyclePolicy — count type, unit and storage class', () => {
  test('the error for a missing countUnit names the rule priority and the field', () => {
    // Prepare
    const policy = { rules: [baseRule({ rulePriority: 2, selection: { countUnit: undefined } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=2].selection.countUnit: required when countType is sinceImagePushed',
    ]);
  });

  test.each([
    ['sinceImagePulled', { action: { type: 'transition', targetStorageClass: 'archive' } }],
    ['sinceImageTransitioned', { selection: { storageClass: 'archive', countNumber: 90 } }],
  ] as const)('countUnit is required when countType is %s', (countType, extra) => {
    // Prepare
    const rule = baseRule({
      ...extra,
      selection: { ...('selection' in extra ? extra.selection : {}), countType, countUnit: undefined },
    });

    // Act
    const errors = errorsOf({ rules: [rule] });

    // Assess
    expect(errors).toEqual([
      `rules[priority=1].selection.countUnit: required when countType is ${countType}`,
    ]);
  });

  test('countUnit is not allowed when countType is imageCountMoreThan', () => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { countType: 'imageCountMoreThan' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].selection.countUnit: not allowed when countType is imageCountMoreThan',
    ]);
  });

  test('storageClass is required when countType is sinceImageTransitioned', () => {
    expect(
      errorsOf({
        rules: [
          { ...archiveExpiry(1), selection: { ...archiveExpiry(1).selection, storageClass: undefined } },
        ],
      }),
    ).toEqual([
      'rules[priority=1].selection.storageClass: required ("archive") when countType is sinceImageTransitioned',
    ]);
  });

  test('storageClass standard is rejected when countType is sinceImageTransitioned', () => {
    expect(
      errorsOf({
        rules: [
          { ...archiveExpiry(1), selection: { ...archiveExpiry(1).selection, storageClass: 'standard' } },
        ],
      }),
    ).toEqual([
      'rules[priority=1].selection.storageClass: must be archive when countType is sinceImageTransitioned',
    ]);
  });

  test('storageClass archive is rejected with any other countType', () => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { storageClass: 'archive' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].selection.storageClass: must be standard (or omitted) when countType is sinceImagePushed',
    ]);
  });

  test('an explicit storageClass standard is accepted', () => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { storageClass: 'standard' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([]);
  });

  test('ambiguity: may a sinceImageTransitioned rule expire images archived fewer than 90 days? — no; "Combining archive and expire rules" says such a policy cannot be configured', () => {
    // Prepare
    const policy = { rules: [archiveExpiry(1, 89)] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].selection.countNumber: must be at least 90 when countType is sinceImageTransitioned (archived images have a 90-day minimum)',
    ]);
  });

  test('a sinceImageTransitioned rule of exactly 90 days is accepted', () => {
    // Prepare
    const policy = { rules: [archiveExpiry(1, 90)] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([]);
  });
});

describe('validateLifecyclePolicy — action', () => {
  test('a transition needs a targetStorageClass', () => {
    // Prepare
    const policy = { rules: [baseRule({ action: { type: 'transition' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].action.targetStorageClass: required ("archive") when action.type is transition',
    ]);
  });

  test('a transition target other than archive is rejected', () => {
    expect(
      errorsOf({ rules: [baseRule({ action: { type: 'transition', targetStorageClass: 'standard' } })] }),
    ).toEqual(['rules[priority=1].action.targetStorageClass: expected "archive" (the only supported value)']);
  });

  test('an expire action may not name a targetStorageClass', () => {
    // Prepare
    const policy = { rules: [baseRule({ action: { targetStorageClass: 'archive' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].action.targetStorageClass: only allowed when action.type is transition',
    ]);
  });

  test('sinceImagePulled cannot expire images', () => {
    // Prepare
    const policy = { rules: [baseRule({ selection: { countType: 'sinceImagePulled' } })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].action.type: must be transition when countType is sinceImagePulled (it cannot expire images)',
    ]);
  });

  test('sinceImageTransitioned cannot transition images', () => {
    expect(
      errorsOf({
        rules: [{ ...archiveExpiry(1), action: { type: 'transition', targetStorageClass: 'archive' } }],
      }),
    ).toEqual(['rules[priority=1].action.type: must be expire when countType is sinceImageTransitioned']);
  });

  test.each(['imageCountMoreThan', 'sinceImagePushed'])(
    '%s may transition images to archive',
    (countType) => {
      // Prepare
      const selection =
        countType === 'imageCountMoreThan' ? { countType, countUnit: undefined } : { countType };
      const rule = baseRule({ selection, action: { type: 'transition', targetStorageClass: 'archive' } });

      // Act
      const errors = errorsOf({ rules: [rule] });

      // Assess
      expect(errors).toEqual([]);
    },
  );
});

describe('validateLifecyclePolicy — rules together', () => {
  const anyCount = (rulePriority: number) => ({
    rulePriority,
    selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 100 },
    action: { type: 'expire' },
  });

  test('the rule with tagStatus any must have the highest rulePriority', () => {
    // Prepare
    const policy = { rules: [anyCount(1), baseRule({ rulePriority: 2 })] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].rulePriority: a rule with tagStatus any must have the highest rulePriority among standard rules, but rules[priority=2] comes after it',
    ]);
  });

  test('ambiguity: must the any rule be last among all rules or among those of its storage class? — its storage class, per "Combining archive and expire rules", whose standard-class any rule precedes an archive-class rule', () => {
    // Prepare
    const policy = { rules: [anyCount(1), archiveExpiry(2)] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([]);
  });

  test('a second any rule in the same storage class is rejected', () => {
    // Prepare
    const policy = { rules: [anyCount(1), anyCount(2)] };

    // Act
    const errors = errorsOf(policy);

    // Assess
    expect(errors).toEqual([
      'rules[priority=1].rulePriority: a rule with tagStatus any must have the highest rulePriority among standard rules, but rules[priority=2] comes after it',
    ]);
  });

  test('only one rule per storage class may select untagged images', () => {
    expect(
      errorsOf({
        rules: [baseRule({ rulePriority: 1 }), baseRule({ rulePriority: 2, selection: { countNumber: 30 } })],
      }),
    ).toEqual([
      'rules[priority=2].selection.tagStatus: only one standard rule may select untagged images, and rules[priority=1] already does',
    ]);
  });

  test('ambiguity: what does "the set of all rules selecting a specific storage class must contain a unique set of prefixes" forbid? — two rules with the same set of prefixes', () => {
    // Prepare
    const tagged = (rulePriority: number, tagPrefixList: string[]) =>
      baseRule({ rulePriority, selection: { tagStatus: 'tagged', tagPrefixList } });

    // Act
    const errors = errorsOf({ rules: [tagged(1, ['prod', 'web']), tagged(2, ['web', 'prod'])] });

    // Assess
    expect(errors).toEqual([
      'rules[priority=2].selection.tagPrefixList: the same prefixes as rules[priority=1]; the standard rules must have unique sets of tag prefixes',
    ]);
  });

  test('rules whose prefix lists overlap but differ are accepted', () => {
    // Prepare
    const tagged = (rulePriority: number, tagPrefixList: string[]) =>
      baseRule({ rulePriority, selection: { tagStatus: 'tagged', tagPrefixList } });

    // Act
    const errors = errorsOf({ rules: [tagged(1, ['prod']), tagged(2, ['prod', 'web'])] });

    // Assess
    expect(errors).toEqual([]);
  });
});

describe('serializeLifecyclePolicy', () => {
  test('rules are written in rulePriority order with fields in template order', () => {
    // Prepare
    const policy: LifecyclePolicy = {
      rules: [
        {
          rulePriority: 5,
          selection: { countNumber: 3, countType: 'imageCountMoreThan', tagStatus: 'any' },
          action: { type: 'expire' },
        },
        {
          action: { targetStorageClass: 'archive', type: 'transition' },
          selection: {
            countNumber: 30,
            countUnit: 'days',
            countType: 'sinceImagePushed',
            tagPatternList: ['v*'],
            tagStatus: 'tagged',
          },
          description: 'archive',
          rulePriority: 2,
        },
      ],
    };

    // Act
    const text = serializeLifecyclePolicy(policy);

    // Assess
    expect(text).toBe(
      '{"rules":[' +
        '{"rulePriority":2,"description":"archive","selection":{"tagStatus":"tagged","tagPatternList":["v*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":30},"action":{"type":"transition","targetStorageClass":"archive"}},' +
        '{"rulePriority":5,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}',
    );
  });

  test('serialized text parses back to the same policy', () => {
    // Prepare
    const policy: LifecyclePolicy = {
      rules: [
        {
          rulePriority: 1,
          selection: {
            tagStatus: 'tagged',
            tagPrefixList: ['v'],
            countType: 'imageCountMoreThan',
            countNumber: 3,
          },
          action: { type: 'expire' },
        },
      ],
    };

    // Act
    const result = parseLifecyclePolicy(serializeLifecyclePolicy(policy));

    // Assess
    expect(result).toEqual({ ok: true, policy });
  });
});
