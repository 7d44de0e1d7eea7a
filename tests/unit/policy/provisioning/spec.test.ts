/**
 * Specs: what "the same project" means — diffs by path, the canonical text, and a managed project read back.
 */
import { defaultBuildspec } from '../../../../lib/policy/provisioning/default-buildspec';
import { expectedState } from '../../../../lib/policy/provisioning/expected-state';
import { planProvisioning, specOf } from '../../../../lib/policy/provisioning/plan';
import { DEFAULT_IMAGE, parseProjectRequest } from '../../../../lib/policy/provisioning/request';
import { canonicalSpecText, diffSpecs, specOfProject } from '../../../../lib/policy/provisioning/spec';
import { type Body, validBody, testGuardrails, plan } from './helpers';

describe('specOf and diffSpecs', () => {
  const specFor = (body: Body) => specOf(plan(body));

  test('identical requests give no difference', () => {
    expect(diffSpecs(specFor(validBody()), specFor(validBody()))).toEqual([]);
  });

  test('defaults given explicitly and lists in another order are the same spec', () => {
    const implicit = validBody({
      environmentVariables: [
        { name: 'B', value: '2' },
        { name: 'A', value: '1' },
      ],
      tags: { y: '2', x: '1' },
    });
    const explicit = validBody({
      computeType: 'BUILD_GENERAL1_SMALL',
      image: DEFAULT_IMAGE,
      buildspec: defaultBuildspec(),
      environmentVariables: [
        { name: 'A', value: '1', type: 'PLAINTEXT' },
        { name: 'B', value: '2', type: 'PLAINTEXT' },
      ],
      tags: [
        { key: 'x', value: '1' },
        { key: 'y', value: '2' },
      ],
    });

    expect(diffSpecs(specFor(implicit), specFor(explicit))).toEqual([]);
  });

  test('names exactly the fields that differ', () => {
    const a = validBody({ computeType: 'BUILD_GENERAL1_SMALL', tags: { team: 'a', keep: 'same' } });
    const b = validBody({
      source: { type: 'GITHUB', location: 'https://github.com/example/other.git', branch: 'main' },
      computeType: 'BUILD_GENERAL1_LARGE',
      tags: { team: 'b', keep: 'same' },
    });

    expect(diffSpecs(specFor(a), specFor(b)).sort()).toEqual([
      'computeType',
      'source.location',
      'tags[team]',
    ]);
  });

  test('names a changed variable by its field, and an added or removed one as a whole', () => {
    const a = validBody({
      environmentVariables: [
        { name: 'MODE', value: 'a' },
        { name: 'GONE', value: 'x' },
      ],
    });
    const b = validBody({
      environmentVariables: [
        { name: 'MODE', value: 'b' },
        { name: 'NEW', value: '/ci/team-app/y', type: 'PARAMETER_STORE' },
      ],
    });

    expect(diffSpecs(specFor(a), specFor(b)).sort()).toEqual([
      'environmentVariables[GONE]',
      'environmentVariables[MODE].value',
      'environmentVariables[NEW]',
    ]);
  });

  test('names a branch, tag or buildspec present on one side only', () => {
    const a = validBody({ source: { type: 'GITHUB', location: 'https://github.com/example/app.git' } });
    const b = validBody({ buildspec: 'buildspec.yml', tags: { team: 'a' } });

    expect(diffSpecs(specFor(a), specFor(b)).sort()).toEqual(['buildspec', 'source.branch', 'tags[team]']);
  });

  test('names paths only, never values', () => {
    const a = validBody({ environmentVariables: [{ name: 'MODE', value: 'value-one' }] });
    const b = validBody({ environmentVariables: [{ name: 'MODE', value: 'value-two' }] });

    const text = diffSpecs(specFor(a), specFor(b)).join(' ');

    expect(text).not.toContain('value-one');
    expect(text).not.toContain('value-two');
  });

  test('specOf returns a copy the caller may change', () => {
    const p = plan();
    const spec = specOf(p);

    spec.name = 'changed';

    expect(specOf(p).name).toBe('team/app');
  });
});

describe('specOfProject', () => {
  test('reads back the spec a plan created, whatever order its variables and tags come in', () => {
    const request = parseProjectRequest({
      name: 'team/app',
      source: { type: 'GITHUB', location: 'https://github.com/example-org/app.git', branch: 'main' },
      environmentVariables: [
        { name: 'ZED', value: 'z' },
        { name: 'ALPHA', value: '/ci/team-app/alpha', type: 'PARAMETER_STORE' },
      ],
      tags: [
        { key: 'team', value: 'platform' },
        { key: 'cost-centre', value: '42' },
      ],
    });
    const plan = planProvisioning(request, {
      accountId: '123456789012',
      region: 'us-east-1',
      partition: 'aws',
      guardrails: testGuardrails(),
    });
    const created = expectedState(plan).project;
    created.environment!.environmentVariables!.reverse();
    created.tags!.reverse();

    expect(diffSpecs(specOfProject(created), specOf(plan))).toEqual([]);
  });
});

describe('canonicalSpecText', () => {
  test('is equal for identical requests whose variables and tags come in another order', () => {
    const variables = [
      { name: 'A', value: '1' },
      { name: 'B', value: '/ci/team-app/b', type: 'PARAMETER_STORE' },
    ];
    const a = plan(validBody({ environmentVariables: variables, tags: { x: '1', y: '2' } }));
    const b = plan(
      validBody({
        environmentVariables: [...variables].reverse(),
        tags: [
          { key: 'y', value: '2' },
          { key: 'x', value: '1' },
        ],
      }),
    );

    expect(canonicalSpecText(a.spec)).toBe(canonicalSpecText(b.spec));
  });

  test('differs when one field differs', () => {
    const a = plan(validBody());
    const b = plan(validBody({ computeType: 'BUILD_GENERAL1_LARGE' }));

    expect(canonicalSpecText(a.spec)).not.toBe(canonicalSpecText(b.spec));
  });
});
