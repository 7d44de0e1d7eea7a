import { globsIntersect, patternCouldCover, resourceMatches } from '../../../../lib/policy/iam/match';

describe('resourceMatches', () => {
  const identity = { policyVariables: true, kind: 'identity' as const };
  const repo = 'arn:aws:ecr:us-east-1:111122223333:repository/app';

  it('pads a short ARN with * in identity policies', () => {
    // Act
    const answer = resourceMatches('arn:aws:ecr', repo, identity);

    // Assess
    expect(answer).toBe('yes');
  });

  it('does not pad a short ARN without a wildcard in resource policies', () => {
    // Act
    const answer = resourceMatches('arn:aws:ecr', repo, { policyVariables: true, kind: 'resource' });

    // Assess
    expect(answer).toBe('no');
  });

  it('matches the region segment case-insensitively but the resource part case-sensitively', () => {
    // Act
    const region = resourceMatches('arn:aws:ecr:US-EAST-1:111122223333:repository/app', repo, identity);
    const name = resourceMatches('arn:aws:ecr:us-east-1:111122223333:repository/APP', repo, identity);

    // Assess
    expect([region, name]).toEqual(['yes', 'no']);
  });
});

describe('globsIntersect', () => {
  it.each([
    ['repository/*', 'repo*', true],
    ['repository/app', 'repository/ap?', true],
    ['r*y', 'repository/*', true],
    ['role/*', 'repository/*', false],
    ['abc', 'abd', false],
    ['', '*', true],
  ])('%s and %s intersect: %s', (a, b, expected) => {
    // Act
    const answer = globsIntersect(a, b);

    // Assess
    expect(answer).toBe(expected);
  });
});

describe('patternCouldCover', () => {
  it.each([
    ['*', true],
    ['arn:aws:ecr:*', true],
    ['arn:aws:ecr:us-east-1:111122223333:repository/team-*', true],
    ['arn:aws:ecr:us-east-1:111122223333:*', true],
    ['arn:aws:e*:us-east-1:111122223333:repo*', true],
    ['arn:aws:iam::111122223333:role/*', false],
    ['arn:aws:s3:::bucket/*', false],
    ['arn:aws:ecr:us-east-1:111122223333:pull-through-cache-rule/*', false],
  ])('%s could cover an ECR repository: %s', (pattern, expected) => {
    // Act
    const answer = patternCouldCover(pattern, 'ecr', 'repository/');

    // Assess
    expect(answer).toBe(expected);
  });
});
