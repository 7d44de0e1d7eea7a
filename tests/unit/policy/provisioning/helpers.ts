/**
 * Shared by the provisioning tests: request bodies (valid ones, and arbitraries one mutation away from
 * valid), the plan of a body, and the audit and IAM evaluator over what a plan leaves behind.
 */
import fc from 'fast-check';
import { evaluateAccount } from '../../../../lib/policy/evaluate';
import type { Finding } from '../../../../lib/policy/findings';
import { defaultGuardrails, RULE_IDS, type Guardrails } from '../../../../lib/policy/guardrails';
import { type NamedPolicy } from '../../../../lib/policy/iam/policy-evaluation';
import { managedPolicySchema, type ManagedPolicy } from '../../../../lib/policy/model';
import { expectedState } from '../../../../lib/policy/provisioning/expected-state';
import { ruleById } from '../../../../lib/policy/rules/index';
import { projectNameOf, roleNameOf } from '../../../../lib/policy/provisioning/managed-resources';
import {
  planProvisioning,
  type ProvisioningContext,
  type ProvisioningPlan,
} from '../../../../lib/policy/provisioning/plan';
import {
  DEFAULT_IMAGE,
  DOCKER_BUILD_COMPUTE_TYPES,
  parseProjectRequest,
} from '../../../../lib/policy/provisioning/request';
import { InvalidInputError } from '../../../../lib/policy/validation';
import { ACCOUNT, NOW, REGION, accountView } from '../../../fixtures/builders';

export type Body = Record<string, unknown>;

/** A fresh valid body per call, so a test may mutate its copy. */
export function validBody(overrides: Body = {}): Body {
  return {
    name: 'team/app',
    source: { type: 'GITHUB', location: 'https://github.com/example/app.git', branch: 'main' },
    ...overrides,
  };
}

/** The problems of a refused body; fails the test when the body is accepted or another error is thrown. */
export function problemsOf(body: unknown): string[] {
  try {
    parseProjectRequest(body);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

/** The whole refusal as text, for asserting what it must never contain. */
export function refusalText(body: unknown): string {
  try {
    parseProjectRequest(body);
  } catch (error) {
    if (error instanceof InvalidInputError) return `${error.message}\n${JSON.stringify(error.problems)}`;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

export const problemPaths = (body: unknown) => problemsOf(body).map((p) => p.slice(0, p.indexOf(': ')));

/** The source buckets the tests' S3 sources use (the default allows none). */
export const SOURCE_BUCKETS = ['src-bucket', 'bucket'];

/** The default guardrails, with SOURCE_BUCKETS allowed as S3 sources. */
export function testGuardrails(): Guardrails {
  const guardrails = defaultGuardrails();
  guardrails.provisioning.sourceBuckets = [...SOURCE_BUCKETS];
  return guardrails;
}

export function context(overrides: Partial<ProvisioningContext> = {}): ProvisioningContext {
  return {
    accountId: ACCOUNT,
    region: REGION,
    partition: 'aws',
    guardrails: testGuardrails(),
    ...overrides,
  };
}

export const plan = (body: Body = validBody(), ctx: ProvisioningContext = context()) =>
  planProvisioning(parseProjectRequest(body), ctx);

export const OWN_REPOSITORY_ARN = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app`;
export const OWN_REPOSITORY_URI = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app`;
export const OWN_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/service-role/buildwarden-team-app`;
export const OWN_PROJECT_ARN = `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/team-app`;
export const OWN_LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/team-app`;

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: unknown;
}
export const statementsOf = (document: string) =>
  (JSON.parse(document) as { Statement: Statement[] }).Statement;
export const actionsOf = (s: Statement) => [s.Action].flat();

/** The audit over exactly the resources the plan leaves behind. */
export function audit(
  p: ProvisioningPlan,
  guardrails: Guardrails = defaultGuardrails(),
  policies: ManagedPolicy[] = [],
) {
  const state = expectedState(p);
  const view = accountView({
    accountId: p.account.accountId,
    region: p.account.region,
    partition: p.account.partition,
    repositories: [state.repository],
    projects: [state.project],
    roles: [state.role],
    policies: [...state.policies, ...policies],
  });
  return evaluateAccount(view, guardrails, { now: NOW });
}

/** Fails with the offending findings, so a regression says which rule broke and why. */
export function expectAllCompliant(findings: Finding[]): void {
  const bad = findings.filter((f) => f.status !== 'compliant').map((f) => `${f.ruleId}: ${f.message}`);
  expect(bad).toEqual([]);
  // Provisioning creates a repository, a project and a role, never a registry-level resource.
  const judging = RULE_IDS.filter((id) => ruleById(id)?.scope !== 'registry');
  expect([...new Set(findings.map((f) => f.ruleId))].sort()).toEqual([...judging].sort());
}

/** A customer managed policy with one (default) version, as GetAccountAuthorizationDetails lists it. */
export function managedPolicy(arn: string, document: unknown): ManagedPolicy {
  return managedPolicySchema().parse({
    PolicyName: arn.slice(arn.lastIndexOf('/') + 1),
    Arn: arn,
    DefaultVersionId: 'v1',
    PolicyVersionList: [{ Document: document, VersionId: 'v1', IsDefaultVersion: true }],
  });
}

export function identityOf(p: ProvisioningPlan): NamedPolicy[] {
  return expectedState(p).role.RolePolicyList.map((policy) => ({
    name: policy.PolicyName,
    document: policy.PolicyDocument,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries: valid bodies, and bodies one mutation away from valid

export const segment = fc.stringMatching(/^[a-z0-9]{1,6}(?:[_-][a-z0-9]{1,6}){0,2}$/);
export const repositoryNameArb = fc
  .array(segment, { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('/'))
  .filter((name) => name.length >= 2 && roleNameOf(name).length <= 64);

export const slug = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
export const sourceArb = fc.oneof(
  fc.record({
    type: fc.constant('GITHUB'),
    location: fc.tuple(slug, slug).map(([o, r]) => `https://github.com/${o}/${r}.git`),
    branch: fc.option(fc.constantFrom('main', 'release/1.2', 'feature_x'), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('GITHUB_ENTERPRISE'),
    location: fc.tuple(slug, slug, slug).map(([h, o, r]) => `https://${h}.example.com/${o}/${r}`),
  }),
  fc.record({
    type: fc.constant('BITBUCKET'),
    location: fc.tuple(slug, slug).map(([o, r]) => `https://bitbucket.org/${o}/${r}.git`),
  }),
  fc.record({
    type: fc.constant('CODECOMMIT'),
    location: slug.map((r) => `https://git-codecommit.${REGION}.amazonaws.com/v1/repos/${r}`),
    branch: fc.option(fc.constant('main'), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('S3'),
    location: fc.tuple(fc.constantFrom(...SOURCE_BUCKETS), slug).map(([b, k]) => `${b}/src/${k}.zip`),
  }),
);
export const variableArb = fc.oneof(
  fc.record({
    name: fc.stringMatching(/^APP_[A-Z0-9_]{1,12}$/),
    value: fc.string({ maxLength: 24 }),
    type: fc.constant('PLAINTEXT'),
  }),
  fc.record({
    name: fc.stringMatching(/^APP_[A-Z0-9_]{1,12}$/),
    value: fc.stringMatching(/^\/[a-z]{1,8}(?:\/[a-z]{1,8}){0,2}$/),
    type: fc.constant('PARAMETER_STORE'),
  }),
  fc.record({
    name: fc.stringMatching(/^APP_[A-Z0-9_]{1,12}$/),
    value: fc.stringMatching(/^[a-z]{1,10}\/[a-z]{1,10}$/),
    type: fc.constant('SECRETS_MANAGER'),
  }),
);
export const tagArb = fc.record({
  key: fc
    .stringMatching(/^[a-z][a-z0-9_.:/=+@-]{0,20}$/)
    .filter((k) => !/^(?:aws:|buildwarden:|managed-by)/.test(k)),
  value: fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{0,20}$/),
});
export const validBodyArb: fc.Arbitrary<Body> = fc
  .record(
    {
      name: repositoryNameArb,
      source: sourceArb,
      computeType: fc.constantFrom(...DOCKER_BUILD_COMPUTE_TYPES),
      image: fc.constantFrom(
        DEFAULT_IMAGE,
        'aws/codebuild/standard:7.0',
        'public.ecr.aws/docker/library/docker:27',
      ),
      environmentVariables: fc.uniqueArray(variableArb, { maxLength: 4, selector: (v) => v.name }),
      tags: fc.uniqueArray(tagArb, { maxLength: 5, selector: (t) => t.key }),
    },
    { requiredKeys: ['name', 'source'] },
  )
  // References live in the project's namespaces (the default /ci/{name}/ and ci/{name}/).
  .map((body) => {
    const project = projectNameOf(body.name);
    const environmentVariables = body.environmentVariables?.map((v) =>
      v.type === 'PARAMETER_STORE'
        ? { ...v, value: `/ci/${project}${v.value}` }
        : v.type === 'SECRETS_MANAGER'
          ? { ...v, value: `ci/${project}/${v.value}` }
          : v,
    );
    return environmentVariables ? { ...body, environmentVariables } : body;
  })
  // A random PLAINTEXT value may happen to look like a credential; such bodies are rightly refused.
  .filter((body) => {
    try {
      parseProjectRequest(body);
      return true;
    } catch {
      return false;
    }
  });

export const MUTATION_PATHS: readonly (readonly (string | number)[])[] = [
  [],
  ['name'],
  ['source'],
  ['source', 'type'],
  ['source', 'location'],
  ['source', 'branch'],
  ['buildspec'],
  ['computeType'],
  ['image'],
  ['environmentVariables'],
  ['environmentVariables', 0],
  ['environmentVariables', 0, 'name'],
  ['environmentVariables', 0, 'value'],
  ['environmentVariables', 0, 'type'],
  ['tags'],
  ['tags', 0],
  ['tags', 0, 'key'],
  ['tags', 0, 'value'],
];

/** Sets, deletes or adds (an unknown field) at `path`; paths that do not exist in the body leave it as is. */
export function mutate(body: Body, path: readonly (string | number)[], how: string, value: unknown): unknown {
  if (path.length === 0) return how === 'add' ? { ...body, unexpected: value } : value;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = parent[key];
    if (typeof next !== 'object' || next === null) return copy;
    parent = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (how === 'delete') delete parent[last];
  else if (how === 'add' && typeof parent[last] === 'object' && parent[last] !== null) {
    (parent[last] as Record<string, unknown>).unexpected = value;
  } else parent[last] = value;
  return copy;
}
