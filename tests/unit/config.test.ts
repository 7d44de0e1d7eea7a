import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../lib/config';
import { defaultGuardrails } from '../../lib/policy/guardrails';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:buildwarden-notifications';

/** The smallest valid environment: the two required variables. */
const env = (overrides: Record<string, string | undefined> = {}) => ({
  STAGE: 'test',
  NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
  ...overrides,
});

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'buildwarden-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function guardrailsFile(text: string): string {
  const file = path.join(dir, 'guardrails.yml');
  writeFileSync(file, text, 'utf8');
  return file;
}

describe('loadConfig', () => {
  it('applies the documented defaults when only the required variables are set', () => {
    // Prepare
    const input = env();

    // Act
    const config = loadConfig(input);

    // Assess
    expect(config).toEqual({
      STAGE: 'test',
      NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
      AUDIT_TOP_OFFENDERS: 10,
      AUDIT_CONCURRENCY: 16,
      SECURITY_HUB: false,
      FINDINGS_RETENTION_DAYS: 90,
      REMEDIABLE_ROLES: 'service-role/*',
      guardrails: defaultGuardrails(),
    });
  });

  it('reads the numeric settings from their text values', () => {
    // Prepare
    const input = env({ AUDIT_TOP_OFFENDERS: '25', AUDIT_CONCURRENCY: '16' });

    // Act
    const config = loadConfig(input);

    // Assess
    expect(config).toMatchObject({ AUDIT_TOP_OFFENDERS: 25, AUDIT_CONCURRENCY: 16 });
  });

  it('accepts the topic ARN of another partition', () => {
    // Prepare
    const input = env({ NOTIFICATION_TOPIC_ARN: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts' });

    // Act
    const config = loadConfig(input);

    // Assess
    expect(config.NOTIFICATION_TOPIC_ARN).toBe('arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts');
  });

  it.each([
    ['STAGE', 'missing', { STAGE: undefined }],
    ['STAGE', 'empty', { STAGE: '' }],
    ['NOTIFICATION_TOPIC_ARN', 'missing', { NOTIFICATION_TOPIC_ARN: undefined }],
    [
      'NOTIFICATION_TOPIC_ARN',
      'an SQS queue ARN',
      { NOTIFICATION_TOPIC_ARN: TOPIC_ARN.replace(':sns:', ':sqs:') },
    ],
    ['NOTIFICATION_TOPIC_ARN', 'a topic name', { NOTIFICATION_TOPIC_ARN: 'buildwarden-notifications' }],
    ['AUDIT_TOP_OFFENDERS', 'zero', { AUDIT_TOP_OFFENDERS: '0' }],
    ['AUDIT_TOP_OFFENDERS', 'above 100', { AUDIT_TOP_OFFENDERS: '101' }],
    ['AUDIT_CONCURRENCY', 'not a number', { AUDIT_CONCURRENCY: 'eight' }],
    ['AUDIT_CONCURRENCY', 'a fraction', { AUDIT_CONCURRENCY: '1.5' }],
    ['AUDIT_CONCURRENCY', 'above 64', { AUDIT_CONCURRENCY: '65' }],
    ['GUARDRAILS_FILE', 'empty', { GUARDRAILS_FILE: '' }],
  ])('rejects %s when it is %s, naming the variable', (variable, _case, overrides) => {
    // Prepare
    const input = env(overrides);

    // Act
    const loading = () => loadConfig(input);

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(new RegExp(`\\b${variable}\\b`));
  });

  it('names every bad variable at once', () => {
    // Prepare
    const input = { AUDIT_CONCURRENCY: '0' };

    // Act
    const loading = () => loadConfig(input);

    // Assess
    expect(loading).toThrow(/\bSTAGE\b/);
    expect(loading).toThrow(/NOTIFICATION_TOPIC_ARN/);
    expect(loading).toThrow(/AUDIT_CONCURRENCY/);
  });

  it('reads and parses the guardrails file GUARDRAILS_FILE names', () => {
    // Prepare
    const file = guardrailsFile(
      [
        'version: 1',
        'rules:',
        '  ecr.lifecycle-policy:',
        '    maxUntaggedAgeDays: 30',
        '  codebuild.privileged-mode:',
        '    mode: off',
      ].join('\n'),
    );

    // Act
    const config = loadConfig(env({ GUARDRAILS_FILE: file }));

    // Assess
    expect(config.GUARDRAILS_FILE).toBe(file);
    expect(config.guardrails.rules['ecr.lifecycle-policy'].maxUntaggedAgeDays).toBe(30);
    expect(config.guardrails.rules['codebuild.privileged-mode'].mode).toBe('off');
  });

  it('fills what the guardrails file leaves out with the defaults', () => {
    // Prepare
    const file = guardrailsFile('rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDays: 30\n');

    // Act
    const config = loadConfig(env({ GUARDRAILS_FILE: file }));

    // Assess
    const defaults = defaultGuardrails();
    expect(config.guardrails.rules['ecr.scan-on-push']).toEqual(defaults.rules['ecr.scan-on-push']);
    expect(config.guardrails.exemptions).toEqual([]);
  });

  it('throws a ConfigError naming GUARDRAILS_FILE when the file does not exist', () => {
    // Prepare
    const missing = path.join(dir, 'absent.yml');

    // Act
    const loading = () => loadConfig(env({ GUARDRAILS_FILE: missing }));

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(`GUARDRAILS_FILE: cannot read ${missing}`);
  });

  it('throws a ConfigError naming GUARDRAILS_FILE when the path is a directory', () => {
    // Prepare: a directory cannot be read as a file, whoever runs the test (root ignores file modes)
    const notAFile = dir;

    // Act
    const loading = () => loadConfig(env({ GUARDRAILS_FILE: notAFile }));

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(/^GUARDRAILS_FILE: cannot read /);
  });

  it('rejects a guardrails file with an unknown option, naming GUARDRAILS_FILE and the option', () => {
    // Prepare
    const file = guardrailsFile('rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDayz: 30\n');

    // Act
    const loading = () => loadConfig(env({ GUARDRAILS_FILE: file }));

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(`GUARDRAILS_FILE (${file})`);
    expect(loading).toThrow(/maxUntaggedAgeDayz/);
  });

  it('rejects a guardrails file that is not YAML, naming GUARDRAILS_FILE', () => {
    // Prepare
    const file = guardrailsFile('rules: [unclosed\n');

    // Act
    const loading = () => loadConfig(env({ GUARDRAILS_FILE: file }));

    // Assess
    expect(loading).toThrow(`GUARDRAILS_FILE (${file})`);
    expect(loading).toThrow(/not valid YAML/);
  });
});

describe('loadConfig: provisioning settings', () => {
  it('rejects a provisioning KMS key that is not a KMS ARN, naming the variable', () => {
    // Act
    const loading = () => loadConfig(env({ PROVISIONING_KMS_KEY_ARN: 'arn:aws:iam::123456789012:policy/x' }));

    // Assess
    expect(loading).toThrow(/PROVISIONING_KMS_KEY_ARN: expected a KMS key ARN/);
  });

  it('treats blank provisioning settings (template parameters left empty) as unset', () => {
    // Act
    const config = loadConfig(
      env({ PROVISIONING_KMS_KEY_ARN: '', PROVISIONING_PERMISSIONS_BOUNDARY_ARN: '' }),
    );

    // Assess
    expect(config.PROVISIONING_KMS_KEY_ARN).toBeUndefined();
    expect(config.PROVISIONING_PERMISSIONS_BOUNDARY_ARN).toBeUndefined();
  });
});

describe('loadConfig: the remediable roles of the change handler', () => {
  it('reads REMEDIABLE_ROLES as the template passes it', () => {
    // Act
    const config = loadConfig(env({ REMEDIABLE_ROLES: 'service-role/ci-*' }));

    // Assess
    expect(config.REMEDIABLE_ROLES).toBe('service-role/ci-*');
  });

  it('rejects a blank REMEDIABLE_ROLES, naming it (a blank pattern would match no role silently)', () => {
    // Act
    const loading = () => loadConfig(env({ REMEDIABLE_ROLES: '' }));

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(/REMEDIABLE_ROLES/);
  });
});

describe('loadConfig: the findings state and Security Hub', () => {
  it('reads the findings table, Security Hub switch and retention as the template passes them', () => {
    // Act
    const config = loadConfig(
      env({
        FINDINGS_TABLE: 'buildwarden-prod-findings',
        SECURITY_HUB: 'true',
        FINDINGS_RETENTION_DAYS: '30',
      }),
    );

    // Assess
    expect(config).toMatchObject({
      FINDINGS_TABLE: 'buildwarden-prod-findings',
      SECURITY_HUB: true,
      FINDINGS_RETENTION_DAYS: 30,
    });
  });

  it('rejects a SECURITY_HUB that is neither true nor false, naming it', () => {
    // Act
    const loading = () => loadConfig(env({ SECURITY_HUB: 'yes' }));

    // Assess
    expect(loading).toThrow(/SECURITY_HUB: expected true or false/);
  });

  it('rejects a retention that is not a whole number of days from 1 to 3650, naming it', () => {
    // Act
    const zero = () => loadConfig(env({ FINDINGS_RETENTION_DAYS: '0' }));
    const fraction = () => loadConfig(env({ FINDINGS_RETENTION_DAYS: '1.5' }));

    // Assess
    expect(zero).toThrow(/FINDINGS_RETENTION_DAYS/);
    expect(fraction).toThrow(/FINDINGS_RETENTION_DAYS/);
  });
});
