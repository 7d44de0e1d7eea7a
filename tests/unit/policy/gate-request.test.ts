/** parseVerdictPath: the part of `/images/{repository}/{digest}/verdict` after `/images/`, as plain strings. */
import { REPOSITORY_NAME } from '../../../lib/policy/aws-facts';
import { IMAGE_DIGEST, parseVerdictPath } from '../../../lib/policy/gate-request';
import { InvalidInputError } from '../../../lib/policy/validation';

const DIGEST = 'sha256:923dd2326db2ecf0a5466908c107980e63646cc4cddbe3c67a1cc5efd1279c89';

/** The problems parseVerdictPath reports for `proxy`; fails the test when it does not throw. */
function problemsOf(proxy: string): string[] {
  try {
    parseVerdictPath(proxy);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error(`parseVerdictPath accepted ${JSON.stringify(proxy)}`);
}

describe('parseVerdictPath: repository names', () => {
  it('reads a single-segment repository and the digest', () => {
    // Act
    const query = parseVerdictPath(`app/${DIGEST}/verdict`);

    // Assess
    expect(query).toEqual({ repositoryName: 'app', imageDigest: DIGEST });
  });

  it('reads a nested repository name given with its slashes as they are', () => {
    // Act
    const query = parseVerdictPath(`team/platform/web-frontend/${DIGEST}/verdict`);

    // Assess
    expect(query.repositoryName).toBe('team/platform/web-frontend');
  });

  it('reads a nested repository name percent-encoded as one segment (%2F)', () => {
    // Act
    const query = parseVerdictPath(`team%2Fplatform%2Fweb-frontend/${DIGEST}/verdict`);

    // Assess
    expect(query.repositoryName).toBe('team/platform/web-frontend');
  });

  it('accepts a lower-case %2f as well', () => {
    // Act
    const query = parseVerdictPath(`team%2fapp/${DIGEST}/verdict`);

    // Assess
    expect(query.repositoryName).toBe('team/app');
  });

  it('accepts dots, underscores and hyphens between name components', () => {
    // Act
    const query = parseVerdictPath(`my.org/my_team/web-app/${DIGEST}/verdict`);

    // Assess
    expect(query.repositoryName).toBe('my.org/my_team/web-app');
  });

  it('accepts the ECR names with a double underscore or a run of hyphens', () => {
    // Act
    const doubleUnderscore = parseVerdictPath(`team/my__app/${DIGEST}/verdict`);
    const hyphens = parseVerdictPath(`team/my--app/${DIGEST}/verdict`);

    // Assess
    expect(doubleUnderscore.repositoryName).toBe('team/my__app');
    expect(hyphens.repositoryName).toBe('team/my--app');
  });

  it('accepts a repository name of exactly 256 characters', () => {
    // Prepare
    const name = `team/${'a'.repeat(251)}`;

    // Act
    const query = parseVerdictPath(`${name}/${DIGEST}/verdict`);

    // Assess
    expect(query.repositoryName).toHaveLength(256);
  });

  it('rejects a repository name longer than 256 characters', () => {
    // Prepare
    const name = `team/${'a'.repeat(252)}`;

    // Act
    const problems = problemsOf(`${name}/${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^repository: ".*" is not an ECR repository name$/)]);
  });

  it('rejects a one-character repository name (ECR names have at least 2)', () => {
    // Act
    const problems = problemsOf(`a/${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual(['repository: "a" is not an ECR repository name']);
  });

  it('rejects upper-case letters in the repository name', () => {
    // Act
    const problems = problemsOf(`Team/App/${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual(['repository: "Team/App" is not an ECR repository name']);
  });

  it('rejects a component that starts with a separator', () => {
    // Act
    const problems = problemsOf(`team/-app/${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual(['repository: "team/-app" is not an ECR repository name']);
  });

  it('rejects an encoded slash that would start the name (%2Fteam)', () => {
    // Act
    const problems = problemsOf(`%2Fteam/${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual(['repository: "/team" is not an ECR repository name']);
  });

  it('decodes once only: a double-encoded slash (%252F) is not a slash', () => {
    // Act
    const problems = problemsOf(`team%252Fapp/${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual(['repository: "team%2Fapp" is not an ECR repository name']);
  });

  it('reports invalid percent-encoding in the repository as such', () => {
    // Act
    const problems = problemsOf(`team%E0%A4%A/${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual(['repository: not valid percent-encoding']);
  });

  it('reports a lone % in the repository as invalid percent-encoding', () => {
    // Act
    const problems = problemsOf(`team%/${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual(['repository: not valid percent-encoding']);
  });

  it('clips a very long bad repository name in the problem it reports', () => {
    // Prepare
    const name = 'A'.repeat(5000);

    // Act
    const [problem] = problemsOf(`${name}/${DIGEST}/verdict`);

    // Assess
    expect(problem!.length).toBeLessThan(400);
  });
});

describe('parseVerdictPath: digests', () => {
  it('reads a percent-encoded digest (sha256%3A…)', () => {
    // Act
    const query = parseVerdictPath(`team/app/${encodeURIComponent(DIGEST)}/verdict`);

    // Assess
    expect(query.imageDigest).toBe(DIGEST);
  });

  it('rejects a tag where the digest belongs', () => {
    // Act
    const problems = problemsOf('team/app/latest/verdict');

    // Assess
    expect(problems).toEqual(['digest: "latest" is not an image digest (sha256:<hex>)']);
  });

  it('rejects a digest whose hex part is too short', () => {
    // Act
    const problems = problemsOf('team/app/sha256:abc123/verdict');

    // Assess
    expect(problems).toEqual(['digest: "sha256:abc123" is not an image digest (sha256:<hex>)']);
  });

  it('rejects a digest with non-hex characters', () => {
    // Act
    const problems = problemsOf(`team/app/sha256:${'g'.repeat(64)}/verdict`);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^digest: /);
  });

  it('reports invalid percent-encoding in the digest as such', () => {
    // Act
    const problems = problemsOf('team/app/sha256%3/verdict');

    // Assess
    expect(problems).toEqual(['digest: not valid percent-encoding']);
  });

  it('lists a bad repository and a bad digest together', () => {
    // Act
    const problems = problemsOf('Team/latest/verdict');

    // Assess
    expect(problems).toEqual([
      'repository: "Team" is not an ECR repository name',
      'digest: "latest" is not an image digest (sha256:<hex>)',
    ]);
  });
});

describe('parseVerdictPath: the path shape', () => {
  it('rejects a path without the /verdict suffix', () => {
    // Act
    const problems = problemsOf(`team/app/${DIGEST}`);

    // Assess
    expect(problems).toEqual(['path: expected /images/{repository}/{digest}/verdict']);
  });

  it('rejects a path with no repository', () => {
    // Act
    const problems = problemsOf(`${DIGEST}/verdict`);

    // Assess
    expect(problems).toEqual(['path: expected /images/{repository}/{digest}/verdict']);
  });

  it('rejects an empty path', () => {
    // Act
    const problems = problemsOf('');

    // Assess
    expect(problems).toEqual(['path: expected /images/{repository}/{digest}/verdict']);
  });

  it('reports the problem as an InvalidInputError from source "request"', () => {
    // Act
    const parsing = () => parseVerdictPath('nothing');

    // Assess
    expect(parsing).toThrow(InvalidInputError);
    expect(parsing).toThrow(/^request is invalid/);
  });

  it('accepts a trailing slash after verdict', () => {
    // Act
    const query = parseVerdictPath(`team/app/${DIGEST}/verdict/`);

    // Assess
    expect(query).toEqual({ repositoryName: 'team/app', imageDigest: DIGEST });
  });
});

describe('the exported patterns', () => {
  it('REPOSITORY_NAME matches the demo repositories', () => {
    // Act
    const names = ['web/frontend', 'payments/api', 'shared/base-images', 'tmp/spike-grpc'];

    // Assess
    for (const name of names) expect(name).toMatch(REPOSITORY_NAME);
  });

  it('IMAGE_DIGEST matches a sha256 digest and rejects a tag', () => {
    // Assess
    expect(DIGEST).toMatch(IMAGE_DIGEST);
    expect('1.4.2').not.toMatch(IMAGE_DIGEST);
  });
});
