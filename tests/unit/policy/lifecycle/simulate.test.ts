import type { ImageDetail } from '../../../../lib/policy/model';
import type { LifecyclePolicy, LifecycleRule } from '../../../../lib/policy/lifecycle/grammar';
import { validateLifecyclePolicy } from '../../../../lib/policy/lifecycle/grammar';
import { simulateLifecyclePolicy } from '../../../../lib/policy/lifecycle/simulate';

const NOW = new Date('2025-06-01T12:00:00Z');
const DAY_MS = 86_400_000;

const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS).toISOString();

/** Image "A" has digest sha256:a, so digest order is letter order. */
function image(
  name: string,
  tags: string[],
  pushedDaysAgo: number,
  extra: Partial<ImageDetail> = {},
): ImageDetail {
  return {
    imageDigest: `sha256:${name.toLowerCase()}`,
    imageTags: tags,
    imagePushedAt: daysAgo(pushedDaysAgo),
    ...extra,
  };
}

function policy(...rules: LifecycleRule[]): LifecyclePolicy {
  const result = validateLifecyclePolicy({ rules });
  if (!result.ok) throw new Error(`test policy is invalid: ${result.errors.join('; ')}`);
  return result.policy;
}

function rule(
  rulePriority: number,
  selection: LifecycleRule['selection'],
  action: LifecycleRule['action'] = { type: 'expire' },
): LifecycleRule {
  return { rulePriority, selection, action };
}

const countRule = (priority: number, selection: Partial<LifecycleRule['selection']>, countNumber: number) =>
  rule(priority, { tagStatus: 'any', ...selection, countType: 'imageCountMoreThan', countNumber });
const pushedRule = (priority: number, selection: Partial<LifecycleRule['selection']>, days: number) =>
  rule(priority, {
    tagStatus: 'any',
    ...selection,
    countType: 'sinceImagePushed',
    countUnit: 'days',
    countNumber: days,
  });

/** Names of the images the simulation acts on with `action`, e.g. ['A', 'B']. */
function acted(
  images: ImageDetail[],
  p: LifecyclePolicy,
  action: 'expire' | 'transition' = 'expire',
): string[] {
  const { results } = simulateLifecyclePolicy(p, images, NOW);
  return results
    .filter((r) => r.action === action)
    .map((r) => r.imageDigest.slice('sha256:'.length).toUpperCase());
}

describe('simulateLifecyclePolicy — the worked examples of the ECR user guide', () => {
  test('"Filtering on image age": prod* images older than 14 days expire', () => {
    // Prepare
    const images = [image('A', ['prod-1'], 20), image('B', ['prod-2'], 10), image('C', ['dev-1'], 30)];
    const p = policy(pushedRule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'] }, 14));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A']);
  });

  test('"Filtering on image count": keeping one untagged image expires the older untagged ones only', () => {
    // Prepare
    const images = [image('A', [], 3), image('B', [], 2), image('C', [], 1), image('D', ['v1'], 9)];
    const p = policy(countRule(1, { tagStatus: 'untagged' }, 1));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A', 'B']);
  });

  describe('"Filtering on multiple rules"', () => {
    const repository = () => [
      image('A', ['beta-1', 'prod-1'], 10),
      image('B', ['beta-2', 'prod-2'], 9),
      image('C', ['beta-3'], 8),
    ];

    test('Example A: prod* first, then beta*: only image A expires', () => {
      // Prepare
      const p = policy(
        countRule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'] }, 1),
        countRule(2, { tagStatus: 'tagged', tagPatternList: ['beta*'] }, 1),
      );

      // Act
      const expired = acted(repository(), p);

      // Assess
      expect(expired).toEqual(['A']);
    });

    test('Example B: beta* first, then prod*: images A and B expire', () => {
      // Prepare
      const p = policy(
        countRule(1, { tagStatus: 'tagged', tagPatternList: ['beta*'] }, 1),
        countRule(2, { tagStatus: 'tagged', tagPatternList: ['prod*'] }, 1),
      );

      // Act
      const expired = acted(repository(), p);

      // Assess
      expect(expired).toEqual(['A', 'B']);
    });
  });

  describe('"Filtering on multiple tags in a single rule"', () => {
    test('Example A: an image must match every pattern in the list, so only C (alpha-2 and beta-2, 10 days) expires', () => {
      // Prepare
      const images = [
        image('A', ['alpha-1'], 12),
        image('B', ['beta-1'], 11),
        image('C', ['alpha-2', 'beta-2'], 10),
        image('D', ['alpha-3'], 4),
        image('E', ['beta-3'], 3),
        image('F', ['alpha-4', 'beta-4'], 2),
      ];
      const p = policy(pushedRule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'] }, 5));

      // Act
      const expired = acted(images, p);

      // Assess
      expect(expired).toEqual(['C']);
    });

    test('Example B: tags are not exclusive, extra tags do not stop a match: A and B expire', () => {
      // Prepare
      const images = [
        image('A', ['alpha-1', 'beta-1', 'gamma-1'], 10),
        image('B', ['alpha-2', 'beta-2'], 9),
        image('C', ['alpha-3', 'beta-3', 'gamma-2'], 8),
      ];
      const p = policy(countRule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'] }, 1));

      // Act
      const expired = acted(images, p);

      // Assess
      expect(expired).toEqual(['A', 'B']);
    });
  });

  describe('"Filtering on all images"', () => {
    test('Example A: tagStatus any keeping one image expires all but the newest, tagged or not', () => {
      // Prepare
      const images = [
        image('A', ['alpha-1'], 4),
        image('B', ['beta-1'], 3),
        image('C', [], 2),
        image('D', ['alpha-2'], 1),
      ];
      const p = policy(countRule(1, { tagStatus: 'any' }, 1));

      // Act
      const expired = acted(images, p);

      // Assess
      expect(expired).toEqual(['A', 'B', 'C']);
    });

    test('Example B: rules of every kind combined expire A, B and D', () => {
      // Prepare
      const images = [
        image('A', ['alpha-1', 'beta-1'], 4),
        image('B', [], 3),
        image('C', ['alpha-2'], 2),
        image('D', ['git hash'], 1),
        image('E', [], 1),
      ];
      const p = policy(
        countRule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*'] }, 1),
        pushedRule(2, { tagStatus: 'untagged' }, 1),
        countRule(3, { tagStatus: 'any' }, 1),
      );

      // Act
      const { results } = simulateLifecyclePolicy(p, images, NOW);

      // Assess
      expect(results.map((r) => [r.imageDigest, r.action, r.rulePriority])).toEqual([
        ['sha256:a', 'expire', 1],
        ['sha256:b', 'expire', 2],
        ['sha256:c', 'keep', null],
        ['sha256:d', 'expire', 3],
        ['sha256:e', 'keep', null],
      ]);
    });
  });

  describe('"Archive examples"', () => {
    test('archiving prod* images older than 30 days transitions them instead of expiring them', () => {
      // Prepare
      const images = [image('A', ['prod-1'], 31), image('B', ['prod-2'], 29)];
      const p = policy(
        rule(
          1,
          {
            tagStatus: 'tagged',
            tagPatternList: ['prod*'],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 30,
          },
          { type: 'transition', targetStorageClass: 'archive' },
        ),
      );

      // Act
      const { results, summary } = simulateLifecyclePolicy(p, images, NOW);

      // Assess
      expect(results.map((r) => r.action)).toEqual(['transition', 'keep']);
      expect(summary).toEqual({ expire: 0, transition: 1, keep: 1 });
    });

    test('combining archive and expire rules: the archive-class any rule expires images archived over 365 days ago', () => {
      // Prepare
      const images = [
        image('A', ['v1'], 40),
        image('B', ['v2'], 900, { imageStatus: 'ARCHIVED', lastArchivedAt: daysAgo(400) }),
        image('C', ['v3'], 500, { imageStatus: 'ARCHIVED', lastArchivedAt: daysAgo(200) }),
        image('D', ['v4'], 10),
      ];
      const p = policy(
        rule(
          1,
          { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 },
          { type: 'transition', targetStorageClass: 'archive' },
        ),
        rule(2, {
          tagStatus: 'any',
          storageClass: 'archive',
          countType: 'sinceImageTransitioned',
          countUnit: 'days',
          countNumber: 365,
        }),
      );

      // Act
      const { results } = simulateLifecyclePolicy(p, images, NOW);

      // Assess
      expect(results.map((r) => r.action)).toEqual(['transition', 'expire', 'keep', 'keep']);
    });
  });
});

describe('simulateLifecyclePolicy — documented ambiguities, decided by the guide', () => {
  test('ambiguity: does a rule whose count is not exceeded protect its images from lower-priority rules? — yes, per "Filtering on multiple rules" Example A and "Filtering on all images" Example B in the ECR user guide', () => {
    // Prepare: rule 1 matches both prod images but keeps 5, so its count is not exceeded.
    const images = [image('A', ['prod-1'], 100), image('B', ['prod-2'], 90), image('C', ['dev'], 80)];
    const p = policy(
      countRule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'] }, 5),
      pushedRule(2, { tagStatus: 'any' }, 30),
    );

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['C']);
  });

  test('ambiguity: does a lower-priority count rule count images a higher-priority rule identified? — yes ("can still identify them as if they haven\'t been expired"), per "Filtering on all images" Example B where rule 3 expires D', () => {
    // Prepare: rule 2 identifies the newest image E; rule 3 keeps one image, counted over A–E.
    const images = [image('A', [], 5), image('D', ['x'], 2), image('E', [], 1)];
    const p = policy(pushedRule(2, { tagStatus: 'untagged' }, 3), countRule(3, { tagStatus: 'any' }, 1));

    // Act
    const expired = acted(images, p);

    // Assess: E is the newest and is kept by the count, so D (not identified by rule 2) expires.
    expect(expired).toEqual(['A', 'D']);
  });

  test('ambiguity: does a count rule always leave countNumber of the images still available to it? — no; it counts the images higher-priority rules identified too, so in "Filtering on all images" Example B rule 3 (keep 1) leaves none of its one available image, D', () => {
    // Prepare
    const images = [image('D', ['git hash'], 2), image('E', [], 1)];
    const p = policy(pushedRule(1, { tagStatus: 'untagged' }, 30), countRule(2, { tagStatus: 'any' }, 1));

    // Act
    const { results } = simulateLifecyclePolicy(p, images, NOW);

    // Assess
    expect(results.map((r) => r.action)).toEqual(['expire', 'keep']);
  });

  test('ambiguity: which image is older when push times tie in a count rule? — the smaller imageDigest; this reproduces "Filtering on all images" Example B, where D and E were both pushed 1 day ago and D expires', () => {
    // Prepare
    // Listed newest-digest first, so input order alone would pick differently.
    const images = [image('F', ['z'], 1), image('E', ['x'], 1), image('D', ['y'], 1)];
    const p = policy(countRule(1, { tagStatus: 'any' }, 1));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['E', 'D']);
  });

  test('ambiguity: is an image exactly countNumber days old "older than" countNumber days? — no, per "Filtering on all images" Example B, where E (pushed 1 day ago) survives a 1-day untagged rule', () => {
    // Prepare
    const images = [image('A', [], 1), image('B', [], 1.001)];
    const p = policy(pushedRule(1, { tagStatus: 'untagged' }, 1));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['B']);
  });

  test('ambiguity: with several prefixes in tagPrefixList, must an image match all of them? — yes, each prefix must match one of its tags ("all of the tags in the tagPrefixList value are matched against any of the image\'s tags")', () => {
    // Prepare
    const images = [
      image('A', ['prod-1'], 10),
      image('B', ['prod-2', 'web-2'], 10),
      image('C', ['web-3'], 10),
    ];
    const p = policy(pushedRule(1, { tagStatus: 'tagged', tagPrefixList: ['prod', 'web'] }, 5));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['B']);
  });

  test('ambiguity: does a higher-priority standard-class any rule shield archived images from an archive-class rule? — no; storage classes are evaluated separately, per "Combining archive and expire rules"', () => {
    // Prepare
    const images = [image('A', ['v1'], 800, { imageStatus: 'ARCHIVED', lastArchivedAt: daysAgo(400) })];
    const p = policy(
      countRule(1, { tagStatus: 'any' }, 100),
      rule(2, {
        tagStatus: 'any',
        storageClass: 'archive',
        countType: 'sinceImageTransitioned',
        countUnit: 'days',
        countNumber: 365,
      }),
    );

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A']);
  });

  test('ambiguity: are images being restored (ACTIVATING) subject to any rule? — no; they are in neither storage class until restored', () => {
    // Prepare
    const images = [image('A', ['v1'], 800, { imageStatus: 'ACTIVATING', lastArchivedAt: daysAgo(400) })];
    const p = policy(
      pushedRule(1, { tagStatus: 'any' }, 1),
      rule(2, {
        tagStatus: 'any',
        storageClass: 'archive',
        countType: 'sinceImageTransitioned',
        countUnit: 'days',
        countNumber: 365,
      }),
    );

    // Act
    const { results } = simulateLifecyclePolicy(p, images, NOW);

    // Assess
    expect(results[0]!.action).toBe('keep');
  });

  test('ambiguity: does a restored image count as pushed when it was restored, for count rules? — yes ("the image\'s last_activated_at is used instead of pushed_at_time"), so the restored old image is kept as the newest', () => {
    // Prepare
    const images = [image('A', ['old'], 400, { lastActivatedAt: daysAgo(1) }), image('B', ['new'], 5)];
    const p = policy(countRule(1, { tagStatus: 'any' }, 1));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['B']);
  });

  test("ambiguity: does a restored image's age for sinceImagePushed restart at restore? — no; the guide applies last_activated_at to ordering and to sinceImagePulled only, and sinceImagePushed reads pushed_at_time", () => {
    // Prepare
    const images = [image('A', ['old'], 400, { lastActivatedAt: daysAgo(1) })];
    const p = policy(pushedRule(1, { tagStatus: 'any' }, 30));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A']);
  });
});

describe('simulateLifecyclePolicy — selection', () => {
  test('a tag pattern without a wildcard matches the whole tag only', () => {
    // Prepare
    const images = [image('A', ['prod'], 10), image('B', ['prod1'], 10), image('C', ['preprod'], 10)];
    const p = policy(pushedRule(1, { tagStatus: 'tagged', tagPatternList: ['prod'] }, 5));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A']);
  });

  test('a wildcard in the middle or at both ends of a pattern matches any run of characters', () => {
    // Prepare
    const images = [
      image('A', ['repo-production'], 10),
      image('B', ['prod-team'], 10),
      image('C', ['v1-rc-2'], 10),
      image('D', ['stage'], 10),
    ];
    const p = policy(
      pushedRule(1, { tagStatus: 'tagged', tagPatternList: ['*prod*'] }, 5),
      pushedRule(2, { tagStatus: 'tagged', tagPatternList: ['v*-rc-*'] }, 5),
    );

    // Act
    const { results } = simulateLifecyclePolicy(p, images, NOW);

    // Assess
    expect(results.map((r) => r.rulePriority)).toEqual([1, 1, 2, null]);
  });

  test('regular-expression characters in a pattern are matched literally', () => {
    // Prepare
    const images = [image('A', ['v1.2'], 10), image('B', ['v1x2'], 10)];
    const p = policy(pushedRule(1, { tagStatus: 'tagged', tagPatternList: ['v1.2*'] }, 5));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A']);
  });

  test('a tag prefix matches tags that start with it, not tags that contain it', () => {
    // Prepare
    const images = [image('A', ['release-1'], 10), image('B', ['pre-release'], 10)];
    const p = policy(pushedRule(1, { tagStatus: 'tagged', tagPrefixList: ['release'] }, 5));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A']);
  });

  test('an untagged rule selects images with no tags, whether imageTags is empty or absent', () => {
    // Prepare
    const images = [
      image('A', [], 10),
      { imageDigest: 'sha256:b', imagePushedAt: daysAgo(10) },
      image('C', ['v'], 10),
    ];
    const p = policy(pushedRule(1, { tagStatus: 'untagged' }, 5));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A', 'B']);
  });

  test('a standard-class rule never acts on archived images', () => {
    // Prepare
    const images = [
      image('A', [], 10, { imageStatus: 'ARCHIVED', lastArchivedAt: daysAgo(5) }),
      image('B', [], 10),
    ];
    const p = policy(pushedRule(1, { tagStatus: 'any' }, 5));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['B']);
  });

  test('archived images are not counted by a standard-class count rule', () => {
    // Prepare: the archived image is the newest, but only active images are counted.
    const images = [
      image('A', ['a'], 30),
      image('B', ['b'], 20),
      image('C', ['c'], 1, { imageStatus: 'ARCHIVED', lastArchivedAt: daysAgo(1) }),
    ];
    const p = policy(countRule(1, { tagStatus: 'any' }, 1));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A']);
  });
});

describe('simulateLifecyclePolicy — sinceImagePulled', () => {
  const archiveUnpulled = (days: number) =>
    policy(
      rule(
        1,
        { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: days },
        { type: 'transition', targetStorageClass: 'archive' },
      ),
    );

  test('an image last pulled longer ago than countNumber days is transitioned', () => {
    // Prepare
    const images = [
      image('A', ['a'], 200, { lastRecordedPullTime: daysAgo(100) }),
      image('B', ['b'], 200, { lastRecordedPullTime: daysAgo(10) }),
    ];

    // Act
    const transitioned = acted(images, archiveUnpulled(90), 'transition');

    // Assess
    expect(transitioned).toEqual(['A']);
  });

  test('an image never pulled is judged by its push time', () => {
    // Prepare
    const images = [image('A', ['a'], 100), image('B', ['b'], 10)];

    // Act
    const transitioned = acted(images, archiveUnpulled(90), 'transition');

    // Assess
    expect(transitioned).toEqual(['A']);
  });

  test('a restored image not pulled since its restore is judged by its restore time', () => {
    // Prepare
    const images = [
      image('A', ['a'], 400, { lastRecordedPullTime: daysAgo(300), lastActivatedAt: daysAgo(5) }),
    ];

    // Act
    const transitioned = acted(images, archiveUnpulled(90), 'transition');

    // Assess
    expect(transitioned).toEqual([]);
  });

  test('a restored image pulled after its restore is judged by that pull', () => {
    // Prepare
    const images = [
      image('A', ['a'], 400, { lastActivatedAt: daysAgo(200), lastRecordedPullTime: daysAgo(100) }),
    ];

    // Act
    const transitioned = acted(images, archiveUnpulled(90), 'transition');

    // Assess
    expect(transitioned).toEqual(['A']);
  });
});

describe('simulateLifecyclePolicy — results', () => {
  test("results follow the input order and copy each image's tags", () => {
    // Prepare
    const images = [image('C', ['c'], 1), image('A', [], 50), image('B', ['b'], 20)];
    const p = policy(pushedRule(1, { tagStatus: 'any' }, 10));

    // Act
    const { results } = simulateLifecyclePolicy(p, images, NOW);

    // Assess
    expect(results).toEqual([
      { imageDigest: 'sha256:c', imageTags: ['c'], action: 'keep', rulePriority: null },
      { imageDigest: 'sha256:a', imageTags: [], action: 'expire', rulePriority: 1 },
      { imageDigest: 'sha256:b', imageTags: ['b'], action: 'expire', rulePriority: 1 },
    ]);
  });

  test('the summary counts each decision once', () => {
    // Prepare
    const images = [image('A', [], 50), image('B', ['b'], 40), image('C', ['c'], 1)];
    const p = policy(
      rule(
        1,
        {
          tagStatus: 'tagged',
          tagPrefixList: ['b'],
          countType: 'sinceImagePushed',
          countUnit: 'days',
          countNumber: 10,
        },
        { type: 'transition', targetStorageClass: 'archive' },
      ),
      pushedRule(2, { tagStatus: 'any' }, 10),
    );

    // Act
    const { summary } = simulateLifecyclePolicy(p, images, NOW);

    // Assess
    expect(summary).toEqual({ expire: 1, transition: 1, keep: 1 });
  });

  test('rules are applied by rulePriority, not by their order in the policy', () => {
    // Prepare
    const images = [image('A', ['prod-1'], 50)];
    const p = policy(
      pushedRule(9, { tagStatus: 'any' }, 10),
      countRule(3, { tagStatus: 'tagged', tagPrefixList: ['prod'] }, 1),
    );

    // Act
    const { results } = simulateLifecyclePolicy(p, images, NOW);

    // Assess: the prod rule (priority 3) identifies A first and keeps it.
    expect(results[0]!.action).toBe('keep');
  });

  test('an image with no push time is never expired by age', () => {
    // Prepare
    const images: ImageDetail[] = [{ imageDigest: 'sha256:a', imageTags: [] }];
    const p = policy(pushedRule(1, { tagStatus: 'any' }, 1));

    // Act
    const { results } = simulateLifecyclePolicy(p, images, NOW);

    // Assess
    expect(results[0]!.action).toBe('keep');
  });

  test('a push time without an offset is read as UTC', () => {
    // Prepare: exactly 10 days and one minute before NOW, written without a zone.
    const images = [image('A', [], 0, { imagePushedAt: '2025-05-22T11:59:00' })];
    const p = policy(pushedRule(1, { tagStatus: 'any' }, 10));

    // Act
    const expired = acted(images, p);

    // Assess
    expect(expired).toEqual(['A']);
  });

  test('an empty repository yields no results', () => {
    // Prepare
    const p = policy(pushedRule(1, { tagStatus: 'any' }, 1));

    // Act
    const simulation = simulateLifecyclePolicy(p, [], NOW);

    // Assess
    expect(simulation).toEqual({ results: [], summary: { expire: 0, transition: 0, keep: 0 } });
  });
});
