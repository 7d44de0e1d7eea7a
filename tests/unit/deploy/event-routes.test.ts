/**
 * lib/events/routes.ts (what `buildwarden replay` routes with) against the EventBridge rules of the packaged
 * CloudFormation template (what is deployed): the same event patterns, function by function. A pattern added
 * to serverless.yml and not to the module (or the other way round) fails with the function, the pattern and
 * the file to change. Leaf lists are compared as sets (EventBridge ORs them; order is irrelevant).
 */
import { EVENT_FUNCTIONS, EVENT_ROUTES, functionsFor } from '../../../lib/events/routes';
import type { EventPattern } from '../../../lib/events/pattern';
import { awsSample, loadJson, REPO_ROOT } from '../../fixtures/load';
import { packagedTemplate, type Template } from '../../fixtures/package-template';
import { readdirSync } from 'node:fs';
import path from 'node:path';

type Rule = { pattern: EventPattern; target: string };

let template: Template;
let rules: Rule[];

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

beforeAll(() => {
  template = packagedTemplate();
  rules = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern !== undefined)
    .flatMap((r) =>
      (r.Properties.Targets as { Arn: { 'Fn::GetAtt'?: [string, string] } }[]).map((t) => ({
        pattern: r.Properties.EventPattern as EventPattern,
        target: lowerFirst(t.Arn['Fn::GetAtt']![0].replace(/LambdaFunction$/, '')),
      })),
    );
}, 120_000);

/** A canonical text of a pattern: keys sorted, leaf alternatives sorted. */
function canonical(pattern: unknown): string {
  const normalise = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      return value.map(normalise).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, normalise((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  return JSON.stringify(normalise(pattern));
}

function patternsOf(target: string, from: 'template' | 'module'): string[] {
  const list =
    from === 'template'
      ? rules.filter((r) => r.target === target).map((r) => r.pattern)
      : ((EVENT_ROUTES as Record<string, EventPattern[]>)[target] ?? []);
  return list.map(canonical).sort();
}

describe('lib/events/routes.ts matches the EventBridge rules of serverless.yml', () => {
  test('every function with a pattern rule in the template has routes, and no other function does', () => {
    const inTemplate = [...new Set(rules.map((r) => r.target))].sort();

    expect([...EVENT_FUNCTIONS].sort()).toEqual(inTemplate);
  });

  test('every pattern of the template is listed for its function in lib/events/routes.ts', () => {
    const missing = [...new Set(rules.map((r) => r.target))].flatMap((target) => {
      const listed = new Set(patternsOf(target, 'module'));
      return patternsOf(target, 'template')
        .filter((p) => !listed.has(p))
        .map((p) => `serverless.yml function ${target} has pattern ${p}: add it to EVENT_ROUTES.${target}`);
    });

    expect(missing).toEqual([]);
  });

  test('every pattern of lib/events/routes.ts is deployed for its function by serverless.yml', () => {
    const extra = EVENT_FUNCTIONS.flatMap((target) => {
      const deployed = new Set(patternsOf(target, 'template'));
      return patternsOf(target, 'module')
        .filter((p) => !deployed.has(p))
        .map(
          (p) => `EVENT_ROUTES.${target} has pattern ${p} that serverless.yml does not deploy for ${target}`,
        );
    });

    expect(extra).toEqual([]);
  });
});

describe('routing with lib/events/routes.ts', () => {
  const eventFiles = readdirSync(path.join(REPO_ROOT, 'events')).filter((f) => f.endsWith('.json'));

  test.each(eventFiles)('events/%s reaches at most one function', (file) => {
    expect(functionsFor(loadJson(path.join('..', '..', 'events', file))).length).toBeLessThanOrEqual(1);
  });

  test.each([
    ['ecr-referrer-action.json'],
    ['ecr-replication-action.json'],
    ['ecr-pull-through-cache-action.json'],
    ['ecr-scan-resource-change.json'],
    ['codebuild-build-phase-change.json'],
    ['eventbridge-aws-api-call-via-cloudtrail.s3-CreateBucket.json'],
  ])('the official sample %s reaches no function', (file) => {
    expect(functionsFor(awsSample(file))).toEqual([]);
  });

  test('the official image scan sample reaches onScan', () => {
    expect(functionsFor(awsSample('ecr-image-scan.json'))).toEqual(['onScan']);
  });
});
