import fc from 'fast-check';
import {
  ASFF_FINDING_TYPE,
  ASFF_LIMITS,
  asffDocuments,
  asffId,
  asffResourceType,
  complianceStatus,
  fit,
  productArn,
  RULE_TEXTS,
  SEVERITY_LABELS,
  toAsff,
  type AsffFinding,
} from '../../../lib/policy/asff';
import type { FindingRecord } from '../../../lib/policy/finding-state';
import { RULE_IDS } from '../../../lib/policy/guardrails';
import { SEVERITIES } from '../../../lib/policy/findings';
import {
  asffFindingSchema,
  asffProblems,
  COMPLIANCE_STATUSES,
  PARTITIONS,
  RECORD_STATES,
  REQUIRED_TOP_LEVEL,
  SEVERITY_LABELS as SCHEMA_SEVERITY_LABELS,
  WORKFLOW_STATUSES,
} from '../../fixtures/asff-schema';
import { ACCOUNT, REGION } from '../../fixtures/builders';
import { awsSample } from '../../fixtures/load';

const REPO = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app`;
const NOW = new Date('2026-11-25T12:00:00.000Z');

function record(overrides: Partial<FindingRecord> = {}): FindingRecord {
  return {
    accountId: ACCOUNT,
    region: REGION,
    resourceArn: REPO,
    resourceType: 'AWS::ECR::Repository',
    ruleId: 'ecr.scan-on-push',
    state: 'open',
    status: 'violation',
    severity: 'medium',
    message: 'scan on push is disabled and no registry rule covers the repository',
    firstSeen: '2026-11-20T06:00:00.000Z',
    lastSeen: '2026-11-25T12:00:00.000Z',
    ...overrides,
  };
}

const resolved = (resolution: FindingRecord['resolution'], overrides: Partial<FindingRecord> = {}) =>
  record({
    state: 'resolved',
    status: 'compliant',
    lastSeen: '2026-11-24T12:00:00.000Z',
    resolvedAt: '2026-11-25T12:00:00.000Z',
    resolution,
    expiresAt: Math.floor(NOW.getTime() / 1000) + 90 * 86400,
    ...overrides,
  });

type Contract = {
  operations: Record<string, { documentation: string }>;
  shapes: Record<
    string,
    { required?: string[]; enum?: string[]; members?: Record<string, { shape: string }> }
  >;
};
const contract = awsSample<Contract>(
  'api-contracts/securityhub.batch-import-findings.botocore-service-2.json',
);

describe('the ASFF schema of the tests, against the service model and the official example', () => {
  it('requires every attribute the service model requires', () => {
    // Prepare
    const required = contract.shapes.AwsSecurityFinding!.required!;
    const valid = toAsff(record(), { now: NOW, firstSight: true });

    // Act
    const rejected = required.filter((field) => {
      const copy: Record<string, unknown> = { ...valid };
      delete copy[field];
      return !asffFindingSchema.safeParse(copy).success;
    });

    // Assess
    expect(rejected).toEqual(required);
    expect(REQUIRED_TOP_LEVEL).toEqual(expect.arrayContaining(required));
  });

  it.each([
    ['SeverityLabel', SCHEMA_SEVERITY_LABELS],
    ['ComplianceStatus', COMPLIANCE_STATUSES],
    ['RecordState', RECORD_STATES],
    ['WorkflowStatus', WORKFLOW_STATUSES],
    ['Partition', PARTITIONS],
  ])('allows exactly the values of the service model enum %s', (shape, values) => {
    expect([...values].sort()).toEqual([...contract.shapes[shape]!.enum!].sort());
  });

  it('accepts the AWS CLI example finding (Severity and Types in FindingProviderFields only)', () => {
    // Prepare
    const [example] = awsSample<unknown[]>('api-securityhub-batch-import-findings.aws-cli.findings.json');

    // Act
    const problems = asffProblems(example);

    // Assess
    expect(problems).toEqual([]);
  });

  it('rejects a finding with Severity neither at the top level nor in FindingProviderFields', () => {
    // Prepare
    const {
      Severity: _s,
      FindingProviderFields: _f,
      ...document
    } = toAsff(record(), { now: NOW, firstSight: true });

    // Act
    const problems = asffProblems(document);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^Severity: required/)]);
  });
});

describe('toAsff: an open violation', () => {
  it('is a valid ASFF document with every field buildwarden fills', () => {
    // Act
    const document = toAsff(record(), { now: NOW, firstSight: true });

    // Assess
    expect(asffProblems(document)).toEqual([]);
    expect(document).toEqual({
      SchemaVersion: '2018-10-08',
      Id: `buildwarden/${REGION}/${ACCOUNT}/ecr.scan-on-push/${REPO}`,
      ProductArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
      ProductName: 'buildwarden',
      GeneratorId: 'ecr.scan-on-push',
      AwsAccountId: ACCOUNT,
      Region: REGION,
      Types: ['Software and Configuration Checks/AWS Security Best Practices'],
      CreatedAt: '2026-11-20T06:00:00.000Z',
      UpdatedAt: '2026-11-25T12:00:00.000Z',
      FirstObservedAt: '2026-11-20T06:00:00.000Z',
      LastObservedAt: '2026-11-25T12:00:00.000Z',
      Severity: { Label: 'MEDIUM', Original: 'medium' },
      FindingProviderFields: {
        Severity: { Label: 'MEDIUM', Original: 'medium' },
        Types: ['Software and Configuration Checks/AWS Security Best Practices'],
      },
      Title: 'ECR repositories should scan images on push',
      Description: 'scan on push is disabled and no registry rule covers the repository',
      Remediation: {
        Recommendation: {
          Text: RULE_TEXTS['ecr.scan-on-push'].recommendation,
          Url: 'https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html',
        },
      },
      ProductFields: {
        'buildwarden/ruleId': 'ecr.scan-on-push',
        'buildwarden/resourceType': 'AWS::ECR::Repository',
        'buildwarden/state': 'open',
        'buildwarden/status': 'violation',
      },
      Resources: [{ Type: 'AwsEcrRepository', Id: REPO, Partition: 'aws', Region: REGION }],
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    } satisfies AsffFinding);
  });

  it('sets Workflow.Status only the first time the finding is sent (a status a person set is kept)', () => {
    // Act
    const later = toAsff(record(), { now: NOW, firstSight: false });

    // Assess
    expect(later).not.toHaveProperty('Workflow');
    expect(asffProblems(later)).toEqual([]);
  });
});

describe('toAsff: values', () => {
  it.each(SEVERITIES.map((s) => [s, SEVERITY_LABELS[s]]))(
    'maps severity %s to the label %s',
    (severity, label) => {
      // Act
      const document = toAsff(record({ severity }), { now: NOW, firstSight: false });

      // Assess
      expect(document.Severity).toEqual({ Label: label, Original: severity });
      expect(document.FindingProviderFields.Severity).toEqual({ Label: label, Original: severity });
    },
  );

  it.each([
    ['open violation', 'FAILED', 'ACTIVE', record()],
    ['open, could not be judged', 'NOT_AVAILABLE', 'ACTIVE', record({ status: 'not-visible' })],
    ['resolved: fixed', 'PASSED', 'ARCHIVED', resolved('fixed')],
    ['resolved: remediated', 'PASSED', 'ARCHIVED', resolved('remediated')],
    ['resolved: exempted', 'PASSED', 'ARCHIVED', resolved('exempted', { status: 'exempt' })],
    ['resolved: resource deleted', 'NOT_AVAILABLE', 'ARCHIVED', resolved('deleted', { status: 'violation' })],
  ] as const)('%s: Compliance.Status %s, RecordState %s', (_name, compliance, recordState, input) => {
    // Act
    const document = toAsff(input, { now: NOW, firstSight: false });

    // Assess
    expect(document.Compliance.Status).toBe(compliance);
    expect(complianceStatus(input)).toBe(compliance);
    expect(document.RecordState).toBe(recordState);
    expect(asffProblems(document)).toEqual([]);
  });

  it('says in the description and the product fields how and when a resolved finding was resolved', () => {
    // Act
    const document = toAsff(resolved('remediated', { message: 'scan on push is enabled' }), {
      now: NOW,
      firstSight: false,
    });

    // Assess
    expect(document.Description).toBe(
      'Resolved (remediated) at 2026-11-25T12:00:00.000Z. scan on push is enabled',
    );
    expect(document.ProductFields).toMatchObject({
      'buildwarden/state': 'resolved',
      'buildwarden/resolution': 'remediated',
      'buildwarden/resolvedAt': '2026-11-25T12:00:00.000Z',
    });
    expect(document.LastObservedAt).toBe('2026-11-24T12:00:00.000Z');
  });

  it.each([
    ['AWS::ECR::Repository', 'AwsEcrRepository'],
    ['AWS::CodeBuild::Project', 'AwsCodeBuildProject'],
    ['AWS::IAM::Role', 'AwsIamRole'],
    ['AWS::ECR::RegistryScanningConfiguration', 'Other'],
    ['AWS::ECR::ReplicationConfiguration', 'Other'],
    ['AWS::ECR::RegistryPolicy', 'Other'],
    ['AWS::ECR::PullThroughCacheRule', 'Other'],
    ['AWS::ECR::RepositoryCreationTemplate', 'Other'],
  ])('gives a %s the resource type %s', (resourceType, asffType) => {
    // Act
    const document = toAsff(record({ resourceType }), { now: NOW, firstSight: false });

    // Assess
    expect(asffResourceType(resourceType)).toBe(asffType);
    expect(document.Resources[0]!.Type).toBe(asffType);
  });

  it.each([
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['eu-west-1', 'aws'],
  ])('names the product and the resource partition of region %s (%s)', (region, partition) => {
    // Act
    const document = toAsff(record({ region }), { now: NOW, firstSight: false });

    // Assess
    expect(document.ProductArn).toBe(
      `arn:${partition}:securityhub:${region}:${ACCOUNT}:product/${ACCOUNT}/default`,
    );
    expect(productArn(ACCOUNT, region)).toBe(document.ProductArn);
    expect(document.Resources[0]).toMatchObject({ Partition: partition, Region: region });
    expect(asffProblems(document)).toEqual([]);
  });

  it('marks a buildwarden fix not yet confirmed in the product fields', () => {
    // Act
    const document = toAsff(record({ remediatedAt: '2026-11-25T11:00:00.000Z' }), {
      now: NOW,
      firstSight: false,
    });

    // Assess
    expect(document.ProductFields['buildwarden/remediatedAt']).toBe('2026-11-25T11:00:00.000Z');
  });
});

describe('asffId', () => {
  it('is the same for the same account, region, resource and rule, whatever else changes', () => {
    // Act
    const first = toAsff(record(), { now: NOW, firstSight: true }).Id;
    const later = toAsff(resolved('fixed', { severity: 'high', message: 'other' }), {
      now: new Date('2026-12-01T00:00:00Z'),
      firstSight: false,
    }).Id;

    // Assess
    expect(later).toBe(first);
  });

  it('differs when the account, region, resource or rule differs', () => {
    // Act
    const ids = new Set([
      asffId(record()),
      asffId(record({ accountId: '210987654321' })),
      asffId(record({ region: 'eu-west-1' })),
      asffId(record({ resourceArn: `${REPO}-2` })),
      asffId(record({ ruleId: 'ecr.tag-immutability' })),
    ]);

    // Assess
    expect(ids.size).toBe(5);
  });

  it('stays within 512 characters for the longest IAM role ARN, and stays distinct', () => {
    // Prepare: a role path of 510 characters and a 64-character name
    const path = `/${'p'.repeat(508)}/`;
    const roleArn = (name: string) => `arn:aws-us-gov:iam::${ACCOUNT}:role${path}${name}`;
    const a = record({ resourceArn: roleArn('a'.repeat(64)), resourceType: 'AWS::IAM::Role' });
    const b = record({ resourceArn: roleArn(`${'a'.repeat(63)}b`), resourceType: 'AWS::IAM::Role' });

    // Act
    const [idA, idB] = [asffId(a), asffId(b)];

    // Assess
    expect(idA.length).toBeLessThanOrEqual(ASFF_LIMITS.id);
    expect(idB.length).toBeLessThanOrEqual(ASFF_LIMITS.id);
    expect(idA).not.toBe(idB);
    expect(idA).toBe(asffId(a));
    expect(asffProblems(toAsff(a, { now: NOW, firstSight: true }))).toEqual([]);
  });
});

describe('fit', () => {
  it('keeps a text within the limit unchanged', () => {
    expect(fit('a'.repeat(256), 256)).toBe('a'.repeat(256));
  });

  it('cuts a longer text to the limit, ending with an ellipsis', () => {
    // Act
    const cut = fit('a'.repeat(300), 256);

    // Assess
    expect(cut).toHaveLength(256);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('never cuts a character outside the basic plane in half', () => {
    // Act
    const cut = fit(`${'a'.repeat(254)}😀😀`, 256);

    // Assess
    expect(cut).toBe(`${'a'.repeat(254)}…`);
  });

  it('makes a text with line breaks one line, and a blank text a placeholder', () => {
    expect(fit('line one\nline two\r\n\tthree', 100)).toBe('line one line two three');
    expect(fit(' \n ', 100)).toBe('(none)');
  });

  it('keeps a long description within 1024 characters in the document', () => {
    // Act
    const document = toAsff(record({ message: 'm'.repeat(4000) }), { now: NOW, firstSight: false });

    // Assess
    expect(document.Description).toHaveLength(ASFF_LIMITS.description);
    expect(asffProblems(document)).toEqual([]);
  });
});

describe('rule texts', () => {
  it.each(RULE_IDS)(
    '%s has a title, a recommendation and an AWS documentation link within the limits',
    (id) => {
      // Act
      const document = toAsff(record({ ruleId: id }), { now: NOW, firstSight: false });

      // Assess
      expect(RULE_TEXTS[id].title.length).toBeLessThanOrEqual(ASFF_LIMITS.title);
      expect(RULE_TEXTS[id].recommendation.length).toBeLessThanOrEqual(ASFF_LIMITS.recommendationText);
      expect(RULE_TEXTS[id].url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      expect(document.Title).toBe(RULE_TEXTS[id].title);
      expect(asffProblems(document)).toEqual([]);
    },
  );

  it('gives a rule without texts a generic title rather than failing', () => {
    // Act
    const document = toAsff(record({ ruleId: 'ecr.some-future-rule' }), { now: NOW, firstSight: false });

    // Assess
    expect(document.Title).toBe('buildwarden rule ecr.some-future-rule');
    expect(asffProblems(document)).toEqual([]);
  });
});

describe('asffDocuments', () => {
  it('sends NEW only for a finding never recorded before, and archives resolved ones', () => {
    // Act
    const documents = asffDocuments(
      [
        { change: 'opened', record: record() },
        { change: 'reopened', record: record({ ruleId: 'ecr.tag-immutability' }) },
        { change: 'updated', record: record({ ruleId: 'ecr.encryption' }) },
        { change: 'resolved', record: resolved('fixed', { ruleId: 'ecr.lifecycle-policy' }) },
      ],
      NOW,
    );

    // Assess
    expect(documents.map((d) => [d.GeneratorId, d.RecordState, d.Workflow?.Status ?? null])).toEqual([
      ['ecr.scan-on-push', 'ACTIVE', 'NEW'],
      ['ecr.tag-immutability', 'ACTIVE', null],
      ['ecr.encryption', 'ACTIVE', null],
      ['ecr.lifecycle-policy', 'ARCHIVED', null],
    ]);
    expect(documents.every((d) => d.UpdatedAt === NOW.toISOString())).toBe(true);
  });
});

describe('every generated document is valid ASFF (generated records)', () => {
  const text = fc.string({ unit: 'binary', maxLength: 3000 });
  const arbitraryRecord = fc.record({
    accountId: fc.stringMatching(/^\d{12}$/),
    region: fc.constantFrom('us-east-1', 'eu-central-1', 'cn-northwest-1', 'us-gov-east-1', 'ap-southeast-3'),
    resourceArn: fc.string({ unit: 'binary', minLength: 1, maxLength: 700 }),
    resourceType: fc.constantFrom('AWS::ECR::Repository', 'AWS::CodeBuild::Project', 'AWS::IAM::Role', 'X'),
    ruleId: fc.constantFrom(...RULE_IDS, 'unknown.rule'),
    severity: fc.constantFrom(...SEVERITIES),
    message: text,
    open: fc.boolean(),
    firstSight: fc.boolean(),
  });

  it('holds for any message, resource ARN, rule, region and state', () => {
    fc.assert(
      fc.property(arbitraryRecord, ({ open, firstSight, ...fields }) => {
        const input = open
          ? record({ ...fields, status: 'violation' })
          : resolved('fixed', { ...fields, status: 'compliant' });
        const document = toAsff(input, { now: NOW, firstSight });
        expect(asffProblems(document)).toEqual([]);
        expect(document.Types).toEqual([ASFF_FINDING_TYPE]);
      }),
      { numRuns: 300 },
    );
  });
});
