/**
 * Which function each event reaches: the EventBridge rules of the packaged CloudFormation template (read
 * from the template, so a newly added function's rules are checked as soon as it exists) against every event
 * file in events/, the official samples in tests/fixtures/aws-samples and mutations of both. Matching uses
 * the pattern subset oracle of tests/fixtures/event-pattern.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { matchesPattern, UnsupportedPatternError, type EventPattern } from '../../fixtures/event-pattern';
import { awsSample, loadJson, REPO_ROOT } from '../../fixtures/load';
import { CHANGE_EVENT_NAMES } from '../../../lib/policy/change-events';
import { packagedTemplate, type Template } from '../../fixtures/package-template';

type Event = Record<string, unknown> & {
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
};
type Rule = { logicalId: string; pattern: EventPattern; target: string };

/**
 * The function meant to handle each event, by function name in serverless.yml. A name missing from the
 * template means the function does not exist yet: its events must then reach no rule at all.
 */
const EXPECTED_HANDLER: Record<string, string | null> = {
  // events/: CloudTrail change events
  'ecr-CreateRepository.json': 'onChange',
  'ecr-CreateRepository-service-event.json': 'onChange',
  'ecr-DeleteLifecyclePolicy.json': 'onChange',
  'ecr-DeleteRepositoryPolicy.json': 'onChange',
  'ecr-PutImageScanningConfiguration.json': 'onChange',
  // A failed call still reaches the function, which skips it (a pattern cannot test for a missing errorCode
  // without also excluding the service events).
  'ecr-PutImageTagMutability-failed.json': 'onChange',
  'ecr-PutImageTagMutability.json': 'onChange',
  'ecr-PutLifecyclePolicy.json': 'onChange',
  'ecr-PutRegistryScanningConfiguration.json': 'onChange',
  'ecr-PutReplicationConfiguration.json': 'onChange',
  'ecr-PutRegistryPolicy.json': 'onChange',
  'ecr-DeleteRegistryPolicy.json': 'onChange',
  'ecr-CreatePullThroughCacheRule.json': 'onChange',
  'ecr-UpdatePullThroughCacheRule.json': 'onChange',
  'ecr-CreateRepositoryCreationTemplate.json': 'onChange',
  'ecr-UpdateRepositoryCreationTemplate.json': 'onChange',
  'ecr-DeleteRepositoryCreationTemplate.json': 'onChange',
  'ecr-SetRepositoryPolicy.json': 'onChange',
  'ecr-TagResource.json': 'onChange',
  'ecr-UntagResource.json': 'onChange',
  'codebuild-CreateProject.json': 'onChange',
  'codebuild-UpdateProject.json': 'onChange',
  'codebuild-UpdateProjectVisibility.json': 'onChange',
  'iam-AttachRolePolicy.json': 'onChange',
  'iam-CreatePolicyVersion.json': 'onChange',
  'iam-DeletePolicyVersion.json': 'onChange',
  'iam-DeleteRolePermissionsBoundary.json': 'onChange',
  // A denied call (requestParameters null) reaches the function too, which skips it for its errorCode.
  'iam-DeleteRolePermissionsBoundary-denied.json': 'onChange',
  'iam-DeleteRolePolicy.json': 'onChange',
  'iam-DetachRolePolicy.json': 'onChange',
  'iam-PutRolePermissionsBoundary.json': 'onChange',
  'iam-PutRolePolicy.json': 'onChange',
  'iam-SetDefaultPolicyVersion.json': 'onChange',
  'iam-TagRole.json': 'onChange',
  'iam-UntagRole.json': 'onChange',
  'iam-UpdateAssumeRolePolicy.json': 'onChange',
  // events/: scan results, builds, pushes
  'ecr-image-scan-complete.json': 'onScan',
  'ecr-image-scan-failed.json': 'onScan',
  'inspector2-scan-complete.json': 'onScan',
  'inspector2-finding.json': 'onScan',
  'codebuild-build-failed.json': 'onBuild',
  'codebuild-build-succeeded.json': 'onBuild',
  'ecr-image-action-push.json': 'onImagePush',
  'ecr-image-action-delete.json': 'onImagePush',
};

/** Official samples (tests/fixtures/aws-samples), unchanged. */
const EXPECTED_FOR_SAMPLE: Record<string, string | null> = {
  'ecr-image-scan.json': 'onScan',
  'inspector2-scan-ecr-initial-scan-complete.json': 'onScan',
  'inspector2-scan-ecr-initial-scan-complete.inspector-guide.json': 'onScan',
  // Amazon Inspector scans and findings of EC2 instances and Lambda functions are not the scan gate's.
  'inspector2-scan-ec2-initial-scan-complete.json': null,
  'inspector2-scan-lambda-initial-scan-complete.json': null,
  'inspector2-finding-ecr-image.json': 'onScan',
  'inspector2-finding-ecr-package-vulnerability.json': 'onScan',
  'inspector2-finding-lambda-package-vulnerability.json': null,
  'ecr-image-action-delete.json': 'onImagePush',
  'codebuild-build-state-change.json': 'onBuild',
  // Phase changes are not subscribed: the state change carries what the notifications need.
  'codebuild-build-phase-change.json': null,
  'eventbridge-aws-api-call-via-cloudtrail.s3-CreateBucket.json': null,
  // Reaches the audit through its schedule rule (a target, not a pattern): no pattern rule may match it.
  'eventbridge-scheduled-event.json': null,
};

const EVENT_FILES = readdirSync(path.join(REPO_ROOT, 'events'))
  .filter((f) => f.endsWith('.json'))
  .sort();

let template: Template;
let rules: Rule[];
let functionNames: Set<string>;

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

beforeAll(() => {
  template = packagedTemplate();
  functionNames = new Set(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => lowerFirst(id.replace(/LambdaFunction$/, ''))),
  );
  rules = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern !== undefined)
    .flatMap(([logicalId, r]) =>
      (r.Properties.Targets as { Arn: { 'Fn::GetAtt'?: [string, string] } }[]).map((t) => ({
        logicalId,
        pattern: r.Properties.EventPattern as EventPattern,
        target: lowerFirst(t.Arn['Fn::GetAtt']![0].replace(/LambdaFunction$/, '')),
      })),
    );
}, 120_000);

function eventFile(name: string): Event {
  return loadJson<Event>(path.join('..', '..', 'events', name));
}

/** The functions whose rules match the event (each function once). */
function handlersOf(event: unknown): string[] {
  return [...new Set(rules.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.target))].sort();
}

/** What the table expects, given the functions that exist now. */
function expectedHandlers(expected: string | null): string[] {
  return expected !== null && functionNames.has(expected) ? [expected] : [];
}

describe('EventBridge rules of the packaged template', () => {
  test('there are pattern rules, each targeting a function of the template', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(functionNames).toContain(rule.target);
  });

  test('every event file in events/ has an expected handler in the table', () => {
    expect(EVENT_FILES.filter((f) => !(f in EXPECTED_HANDLER))).toEqual([]);
  });

  test('the audit runs on a schedule rule, not on an event pattern (in organization mode, the state machine)', () => {
    const scheduled = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression !== undefined,
    );
    const targets = scheduled.flatMap((r) =>
      (r.Properties.Targets as { Arn: { 'Fn::GetAtt'?: [string, string]; Ref?: string } }[]).map(
        (t) => t.Arn['Fn::GetAtt']?.[0] ?? t.Arn.Ref,
      ),
    );
    expect(targets).toEqual(['AuditLambdaFunction', 'OrganizationAudit']);
  });

  it.each(EVENT_FILES)('events/%s reaches exactly the function meant to handle it', (file) => {
    expect(handlersOf(eventFile(file))).toEqual(expectedHandlers(EXPECTED_HANDLER[file] ?? null));
  });

  it.each(Object.entries(EXPECTED_FOR_SAMPLE))('the official sample %s reaches %s', (file, expected) => {
    expect(handlersOf(awsSample(file))).toEqual(expectedHandlers(expected));
  });

  test('the onChange pattern lists exactly the calls the change handler parses', () => {
    const onChange = rules.filter((r) => r.target === 'onChange');
    const patternNames = onChange.flatMap(
      (r) => ((r.pattern.detail as Record<string, unknown> | undefined)?.eventName as string[]) ?? [],
    );

    expect([...new Set(patternNames)].sort()).toEqual(Object.values(CHANGE_EVENT_NAMES).flat().sort());
  });

  test("the README's change-event list names exactly the calls of the onChange pattern", () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Change events'), readme.indexOf('\nThe event is a hint'));
    const listed = [...section.matchAll(/`([A-Z][A-Za-z]+)`/g)].map((m) => m[1]);
    const patternNames = rules
      .filter((r) => r.target === 'onChange')
      .flatMap(
        (r) => ((r.pattern.detail as Record<string, unknown> | undefined)?.eventName as string[]) ?? [],
      );

    expect([...new Set(listed)].sort()).toEqual([...new Set(patternNames)].sort());
  });

  test('the S3 CreateBucket API call (a CloudTrail event of another service) reaches no function', () => {
    expect(handlersOf(awsSample('eventbridge-aws-api-call-via-cloudtrail.s3-CreateBucket.json'))).toEqual([]);
  });
});

describe('mutated events reach no function', () => {
  const handled = () => EVENT_FILES.filter((f) => EXPECTED_HANDLER[f] !== null);

  test.each(EVENT_FILES)('%s with another source (aws.s3)', (file) => {
    const event = { ...eventFile(file), source: 'aws.s3' };

    expect(handlersOf(event)).toEqual([]);
  });

  test.each(EVENT_FILES.filter((f) => 'eventName' in eventFile(f).detail))(
    '%s naming a call buildwarden does not react to (DescribeRepositories)',
    (file) => {
      const event = eventFile(file);
      event.detail = { ...event.detail, eventName: 'DescribeRepositories' };

      expect(handlersOf(event)).toEqual([]);
    },
  );

  test.each(EVENT_FILES.filter((f) => !('eventName' in eventFile(f).detail)))(
    '%s with another detail-type',
    (file) => {
      const event = { ...eventFile(file), 'detail-type': `${eventFile(file)['detail-type']} Preview` };

      expect(handlersOf(event)).toEqual([]);
    },
  );

  test('a failed ECR image action reaches no function', () => {
    const event = eventFile('ecr-image-action-delete.json');
    event.detail = { ...event.detail, result: 'FAILURE' };

    expect(handlersOf(event)).toEqual([]);
  });

  test('an ECR image action other than a push or a delete reaches no function', () => {
    const event = eventFile('ecr-image-action-push.json');
    event.detail = { ...event.detail, 'action-type': 'REPLICATE' };

    expect(handlersOf(event)).toEqual([]);
  });

  test.each([
    ['an EC2 instance', ['i-087d63509b8c97098']],
    ['a Lambda function', ['arn:aws:lambda:us-east-1:123456789012:function:checkout:$LATEST']],
    ['no resource', []],
  ])('an Inspector2 Scan or Finding about %s reaches no function', (_what, resources) => {
    for (const file of ['inspector2-scan-complete.json', 'inspector2-finding.json']) {
      const event = { ...eventFile(file), resources };

      expect(handlersOf(event)).toEqual([]);
    }
  });

  test('the mutations start from events that do reach a function', () => {
    expect(handled().every((f) => handlersOf(eventFile(f)).length > 0)).toBe(true);
  });
});

describe('Amazon Inspector events of ECR images in every partition', () => {
  test.each([
    ['aws-cn', 'cn-north-1'],
    ['aws-us-gov', 'us-gov-west-1'],
    ['aws-iso-b', 'us-isob-east-1'],
    ['aws-eusc', 'eusc-de-east-1'],
  ])('an Inspector2 Scan and Finding of an ECR image in %s reach onScan', (partition, region) => {
    for (const file of ['inspector2-scan-complete.json', 'inspector2-finding.json']) {
      const event = {
        ...eventFile(file),
        region,
        resources: [`arn:${partition}:ecr:${region}:123456789012:repository/web/frontend`],
      };

      expect(handlersOf(event)).toEqual(expectedHandlers('onScan'));
    }
  });
});

describe('the event pattern oracle (subset of the EventBridge pattern syntax)', () => {
  test('the official CodeBuild sample pattern rejects the sample event of another project', () => {
    const pattern = awsSample<EventPattern>('codebuild-build-state-change.event-pattern.json');

    expect(matchesPattern(pattern, awsSample('codebuild-build-state-change.json'))).toBe(false);
  });

  test('the official CodeBuild sample pattern matches the sample event of a listed project', () => {
    const pattern = awsSample<EventPattern>('codebuild-build-state-change.event-pattern.json');
    const event = awsSample<Event>('codebuild-build-state-change.json');
    event.detail['project-name'] = 'my-demo-project-2';

    expect(matchesPattern(pattern, event)).toBe(true);
  });

  test.each([
    ['exact string', { a: ['x'] }, { a: 'x' }, true],
    ['exact string, other value', { a: ['x'] }, { a: 'y' }, false],
    ['exact number is not the string', { a: [5] }, { a: '5' }, false],
    ['exact number', { a: [5] }, { a: 5 }, true],
    ['missing field', { a: ['x'] }, {}, false],
    ['any element of an event array', { a: ['x'] }, { a: ['w', 'x'] }, true],
    ['nested object', { d: { a: ['x'] } }, { d: { a: 'x', b: 1 } }, true],
    ['nested object missing', { d: { a: ['x'] } }, { d: 'x' }, false],
    ['prefix', { a: [{ prefix: 'arn:aws:ecr' }] }, { a: 'arn:aws:ecr:us-east-1' }, true],
    ['prefix, other', { a: [{ prefix: 'arn:aws:ecr' }] }, { a: 'arn:aws:s3' }, false],
    ['anything-but value', { a: [{ 'anything-but': 'x' }] }, { a: 'y' }, true],
    ['anything-but value, excluded', { a: [{ 'anything-but': ['x', 'y'] }] }, { a: 'y' }, false],
    ['anything-but, missing field', { a: [{ 'anything-but': 'x' }] }, {}, false],
    ['anything-but prefix', { a: [{ 'anything-but': { prefix: 'tmp/' } }] }, { a: 'tmp/x' }, false],
    ['exists true', { a: [{ exists: true }] }, { a: null }, true],
    ['exists true, missing', { a: [{ exists: true }] }, {}, false],
    ['exists false, missing', { a: [{ exists: false }] }, {}, true],
    ['exists false, present', { a: [{ exists: false }] }, { a: 'x' }, false],
    ['all keys must match', { a: ['x'], b: ['y'] }, { a: 'x', b: 'z' }, false],
  ] as const)('%s', (_name, pattern, event, expected) => {
    expect(matchesPattern(pattern as unknown as EventPattern, event)).toBe(expected);
  });

  test.each([
    ['$or', { $or: [{ a: ['x'] }] }],
    ['suffix', { a: [{ suffix: '.png' }] }],
    ['numeric', { a: [{ numeric: ['>', 0] }] }],
  ])('a filter outside the subset (%s) throws instead of guessing', (_name, pattern) => {
    expect(() => matchesPattern(pattern as unknown as EventPattern, { a: 'x' })).toThrow(
      UnsupportedPatternError,
    );
  });
});
