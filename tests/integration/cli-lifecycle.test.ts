/** `buildwarden lifecycle validate|preview` end to end on files and the demo snapshot. */
import { cli, tempFile } from '../fixtures/cli';

const EXAMPLE = 'tests/fixtures/aws-samples/ecr-lifecycle-policy.example.aws-cli-put-lifecycle-policy.json';
const untaggedAfter14Days = EXAMPLE; // the official example expires untagged images 14 days after push

const images = [
  { imageDigest: 'sha256:old', imagePushedAt: '2026-10-01T00:00:00Z' },
  { imageDigest: 'sha256:new', imagePushedAt: '2026-11-24T00:00:00Z' },
  { imageDigest: 'sha256:rel', imageTags: ['v1'], imagePushedAt: '2026-01-01T00:00:00Z' },
];

describe('buildwarden lifecycle validate', () => {
  test('the official example policy is valid', async () => {
    const result = await cli(['lifecycle', 'validate', '--policy', EXAMPLE]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('valid: 1 rule\n');
  });

  test('an invalid policy exits 2 naming the rule priority and field', async () => {
    const policy = tempFile(
      'p.json',
      JSON.stringify({
        rules: [
          {
            rulePriority: 3,
            selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 5 },
            action: { type: 'expire' },
          },
        ],
      }),
    );

    const result = await cli(['lifecycle', 'validate', '--policy', policy]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/rules\[priority=3\]\.selection/);
  });

  test('--policy is required', async () => {
    const result = await cli(['lifecycle', 'validate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--policy FILE is required/);
  });
});

describe('buildwarden lifecycle preview', () => {
  test('JSON output decides each image with the rule that acted', async () => {
    const file = tempFile('images.json', JSON.stringify(images));

    const result = await cli([
      'lifecycle',
      'preview',
      '--policy',
      untaggedAfter14Days,
      '--images',
      file,
      '--now',
      '2026-11-25T00:00:00Z',
    ]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      results: [
        { imageDigest: 'sha256:old', imageTags: [], action: 'expire', rulePriority: 1 },
        { imageDigest: 'sha256:new', imageTags: [], action: 'keep', rulePriority: null },
        { imageDigest: 'sha256:rel', imageTags: ['v1'], action: 'keep', rulePriority: null },
      ],
      summary: { expire: 1, transition: 0, keep: 2 },
    });
  });

  test('--images also takes a DescribeImages response', async () => {
    const file = tempFile('images.json', JSON.stringify({ imageDetails: images }));

    const result = await cli([
      'lifecycle',
      'preview',
      '--policy',
      untaggedAfter14Days,
      '--images',
      file,
      '--now',
      '2026-11-25',
    ]);

    expect(JSON.parse(result.stdout).summary).toEqual({ expire: 1, transition: 0, keep: 2 });
  });

  test('--repository with --snapshot previews against the repository in the snapshot', async () => {
    const result = await cli([
      'lifecycle',
      'preview',
      '--policy',
      untaggedAfter14Days,
      '--repository',
      'payments/api',
      '--snapshot',
      'demo/account.json',
      '--now',
      '2026-11-25T12:00:00Z',
    ]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).summary).toEqual({ expire: 2, transition: 0, keep: 3 });
  });

  test('table output ends with the summary', async () => {
    const file = tempFile('images.json', JSON.stringify(images));

    const result = await cli([
      'lifecycle',
      'preview',
      '--policy',
      untaggedAfter14Days,
      '--images',
      file,
      '--now',
      '2026-11-25',
      '--format',
      'table',
    ]);

    expect(result.stdout).toMatch(/^DIGEST\s+TAGS\s+ACTION\s+RULE/);
    expect(result.stdout).toMatch(/1 expire, 0 transition, 2 keep\n$/);
  });

  test('a repository that is not in the snapshot exits 2', async () => {
    const result = await cli([
      'lifecycle',
      'preview',
      '--policy',
      EXAMPLE,
      '--repository',
      'nope',
      '--snapshot',
      'demo/account.json',
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/repository nope does not exist/);
  });

  test('giving both --images and --repository exits 2', async () => {
    const result = await cli([
      'lifecycle',
      'preview',
      '--policy',
      EXAMPLE,
      '--images',
      'x.json',
      '--repository',
      'a',
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exactly one of --images FILE or --repository NAME/);
  });

  test('an image file with a bad field exits 2 naming its path', async () => {
    const file = tempFile(
      'images.json',
      JSON.stringify([{ imageDigest: 'sha256:x', imagePushedAt: 'yesterday' }]),
    );

    const result = await cli(['lifecycle', 'preview', '--policy', EXAMPLE, '--images', file]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[0\]\.imagePushedAt/);
  });

  test('a bad --now exits 2', async () => {
    const file = tempFile('images.json', '[]');

    const result = await cli([
      'lifecycle',
      'preview',
      '--policy',
      EXAMPLE,
      '--images',
      file,
      '--now',
      'tomorrow',
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--now must be an ISO 8601/);
  });
});
