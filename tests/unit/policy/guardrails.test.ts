import { defaultGuardrails, parseGuardrails, RULE_IDS } from '../../../lib/policy/guardrails';
import { InvalidInputError } from '../../../lib/policy/validation';

function problemsOf(text: string): string[] {
  try {
    parseGuardrails(text, 'guardrails.yml');
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected the guardrails to be rejected');
}

describe('guardrails config', () => {
  test('an empty file means every documented default', () => {
    const parsed = parseGuardrails('');

    expect(parsed).toEqual(defaultGuardrails());
    expect(parsed.rules['ecr.lifecycle-policy'].maxUntaggedAgeDays).toBe(14);
    expect(parsed.rules['ecr.tag-immutability'].allowedModes).toEqual([
      'IMMUTABLE',
      'IMMUTABLE_WITH_EXCLUSION',
    ]);
  });

  test('every rule id has a config section with a mode', () => {
    const defaults = defaultGuardrails();

    for (const id of RULE_IDS) expect(['off', 'report', 'remediate']).toContain(defaults.rules[id].mode);
  });

  test('default modes: remediate for lifecycle, scanning, immutability, repository policy and role-can-push', () => {
    const { rules } = defaultGuardrails();

    const remediating = RULE_IDS.filter((id) => rules[id].mode === 'remediate').sort();

    expect(remediating).toEqual(
      [
        'codebuild.role-can-push',
        'ecr.lifecycle-policy',
        'ecr.repository-policy',
        'ecr.scan-on-push',
        'ecr.tag-immutability',
      ].sort(),
    );
  });

  test('repository policies: no organization is denied and unknown organizations are only reported by default', () => {
    const options = defaultGuardrails().rules['ecr.repository-policy'];

    expect(options).toMatchObject({ deniedOrganizations: [], removeUnknownOrganizations: false });
  });

  test('an organization both allowed and denied is rejected, naming deniedOrganizations', () => {
    const problems = problemsOf(
      'rules:\n  ecr.repository-policy:\n    allowedOrganizations: [o-a1b2c3d4e5]\n    deniedOrganizations: [o-a1b2c3d4e5]\n',
    );

    expect(problems).toEqual([
      'rules.ecr.repository-policy.deniedOrganizations: an organization cannot be both in allowedOrganizations and deniedOrganizations',
    ]);
  });

  test('a denied organization must be an organization id', () => {
    const problems = problemsOf('rules:\n  ecr.repository-policy:\n    deniedOrganizations: [acme]\n');

    expect(problems).toEqual([
      'rules.ecr.repository-policy.deniedOrganizations[0]: expected an organization id (o-…)',
    ]);
  });

  test('a bad option is reported with its full path', () => {
    const problems = problemsOf('rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDays: -3\n');

    expect(problems).toEqual(['rules.ecr.lifecycle-policy.maxUntaggedAgeDays: expected positive integer']);
  });

  test('a non-integer age is rejected as not a positive integer', () => {
    const problems = problemsOf('rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDays: 1.5\n');

    expect(problems[0]).toBe('rules.ecr.lifecycle-policy.maxUntaggedAgeDays: expected positive integer');
  });

  test('unknown keys are rejected so typos do not silently fall back to defaults', () => {
    const problems = problemsOf('rules:\n  ecr.lifecycle-policy:\n    maxUntagedAgeDays: 7\n');

    expect(problems.join('\n')).toMatch(
      /rules\.ecr\.lifecycle-policy: Unrecognized key: "maxUntagedAgeDays"/,
    );
  });

  test('an unknown rule id is rejected', () => {
    const problems = problemsOf('rules:\n  ecr.bogus: {}\n');

    expect(problems.join('\n')).toMatch(/rules: Unrecognized key: "ecr.bogus"/);
  });

  test('remediate is refused for a rule that has no safe automatic fix', () => {
    const problems = problemsOf('rules:\n  ecr.encryption:\n    mode: remediate\n');

    expect(problems).toEqual([
      'rules.ecr.encryption.mode: ecr.encryption has no safe automatic fix: use off or report',
    ]);
  });

  test('an exemption must say why it exists', () => {
    const problems = problemsOf("exemptions:\n  - repositories: ['tmp/*']\n");

    expect(problems[0]).toMatch(/^exemptions\[0\]\.reason:/);
  });

  test('text that is not YAML is reported with its line', () => {
    const problems = problemsOf('rules: [\n');

    expect(problems[0]).toMatch(/^not valid YAML \(line \d+\)/);
  });

  test('an exemption may name rules by id', () => {
    const parsed = parseGuardrails(
      "exemptions:\n  - repositories: ['legacy/*']\n    rules: [ecr.tag-immutability]\n    reason: vendor images\n",
    );

    expect(parsed.exemptions[0]).toEqual({
      repositories: ['legacy/*'],
      projects: [],
      rules: ['ecr.tag-immutability'],
      reason: 'vendor images',
    });
  });
});

describe('guardrails: provisioning namespaces', () => {
  test('default to /ci/{name}/ for parameters, ci/{name}/ for secrets and no source bucket', () => {
    const { provisioning } = defaultGuardrails();

    expect(provisioning).toEqual({
      parameterPrefixes: ['/ci/{name}/'],
      secretPrefixes: ['ci/{name}/'],
      sourceBuckets: [],
    });
  });

  test('accept custom prefixes and buckets, with or without {name}', () => {
    const parsed = parseGuardrails(
      [
        'provisioning:',
        "  parameterPrefixes: ['/builds/{name}/', /shared/ci/]",
        "  secretPrefixes: ['teams/{name}/ci/']",
        "  sourceBuckets: [build-sources, 'src-{name}']",
      ].join('\n'),
    );

    expect(parsed.provisioning).toEqual({
      parameterPrefixes: ['/builds/{name}/', '/shared/ci/'],
      secretPrefixes: ['teams/{name}/ci/'],
      sourceBuckets: ['build-sources', 'src-{name}'],
    });
  });

  test('empty lists are allowed: no reference of that kind at all', () => {
    const parsed = parseGuardrails('provisioning: { parameterPrefixes: [], secretPrefixes: [] }');

    expect(parsed.provisioning.parameterPrefixes).toEqual([]);
    expect(parsed.provisioning.secretPrefixes).toEqual([]);
  });

  test.each([
    ['parameterPrefixes', '/ci/*/', 'must not contain a wildcard (* or ?)'],
    ['parameterPrefixes', '/ci/app?/', 'must not contain a wildcard (* or ?)'],
    ['parameterPrefixes', '/ci/{name}', 'must end with /, so that it names a whole level of the hierarchy'],
    [
      'parameterPrefixes',
      'ci/{name}/',
      'must start with / (parameters in a hierarchy are named from the root)',
    ],
    ['parameterPrefixes', '/ci/{project}/', 'may hold only letters, digits and _ . - / and {name}'],
    ['secretPrefixes', 'ci/*', 'must not contain a wildcard (* or ?)'],
    ['secretPrefixes', 'ci/{name}', 'must end with /, so that it names a whole level of the hierarchy'],
    ['secretPrefixes', 'ci/a b/', 'may hold only letters, digits and / _ + = . @ - and {name}'],
  ])('the %s entry %p is refused', (key, prefix, problem) => {
    const problems = problemsOf(`provisioning:\n  ${key}: ['${prefix}']\n`);

    expect(problems).toContain(`provisioning.${key}[0]: ${problem}`);
  });

  test.each(['bucket-*', 'Upper-Case', 'ab', 'has/slash'])('the source bucket %p is refused', (bucket) => {
    const problems = problemsOf(`provisioning:\n  sourceBuckets: ['${bucket}']\n`);

    expect(problems).toEqual([expect.stringMatching(/^provisioning\.sourceBuckets\[0\]: /)]);
  });

  test('an unknown key in the section is refused', () => {
    const problems = problemsOf('provisioning:\n  parameterPrefix: [/ci/]\n');

    expect(problems.join('\n')).toMatch(/provisioning: Unrecognized key: "parameterPrefix"/);
  });
});
