import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../lib/errors';
import { functionGuardrails } from '../../lib/guardrails-file';
import {
  LAMBDA_SETTINGS,
  parseSettings,
  requireSettings,
  SETTING_NAMES,
  type SettingName,
} from '../../lib/settings';
import { defaultGuardrails } from '../../lib/policy/guardrails';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:buildwarden-notifications';

/** The smallest valid environment: the two required variables. */
const env = (overrides: Record<string, string | undefined> = {}) => ({
  BUILDWARDEN_STAGE: 'test',
  BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
  ...overrides,
});

/** What a function's cold start reads: its settings (the two every function here requires) and guardrails. */
function loadConfig(env: Record<string, string | undefined>) {
  const settings = parseSettings(env, [...LAMBDA_SETTINGS, 'BUILDWARDEN_NOTIFICATION_TOPIC_ARN']);
  return { ...settings, guardrails: functionGuardrails(settings) };
}

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
      BUILDWARDEN_STAGE: 'test',
      BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN,
      BUILDWARDEN_AUDIT_TOP_OFFENDERS: 10,
      BUILDWARDEN_AUDIT_CONCURRENCY: 16,
      BUILDWARDEN_SECURITY_HUB: false,
      BUILDWARDEN_FINDINGS_RETENTION_DAYS: 90,
      BUILDWARDEN_METRICS: false,
      BUILDWARDEN_TRACING: false,
      BUILDWARDEN_MEMBER_ROLE_NAME: 'buildwarden-member',
      BUILDWARDEN_ORG_AUDIT_MAX_CONCURRENCY: 10,
      BUILDWARDEN_ORG_AUDIT_TOLERATED_FAILURE_PERCENTAGE: 10,
      BUILDWARDEN_ORG_AUDIT_PAGE_BUDGET: 5,
      BUILDWARDEN_REMEDIABLE_ROLES: 'service-role/*',
      guardrails: defaultGuardrails(),
    });
  });

  it('reads BUILDWARDEN_METRICS and BUILDWARDEN_TRACING as true or false', () => {
    // Prepare
    const input = env({ BUILDWARDEN_METRICS: 'true', BUILDWARDEN_TRACING: 'false' });

    // Act
    const config = loadConfig(input);

    // Assess
    expect(config).toMatchObject({ BUILDWARDEN_METRICS: true, BUILDWARDEN_TRACING: false });
  });

  it('refuses a BUILDWARDEN_METRICS that is not true or false, naming it', () => {
    // Prepare
    const input = env({ BUILDWARDEN_METRICS: 'yes' });

    // Act
    const loading = () => loadConfig(input);

    // Assess
    expect(loading).toThrow(/BUILDWARDEN_METRICS/);
  });

  it('refuses a BUILDWARDEN_REPORTS_BUCKET that is not a bucket name, naming it', () => {
    // Prepare
    const input = env({ BUILDWARDEN_REPORTS_BUCKET: 'Reports_Bucket' });

    // Act
    const loading = () => loadConfig(input);

    // Assess
    expect(loading).toThrow(/BUILDWARDEN_REPORTS_BUCKET/);
  });

  it('reads the numeric settings from their text values', () => {
    // Prepare
    const input = env({ BUILDWARDEN_AUDIT_TOP_OFFENDERS: '25', BUILDWARDEN_AUDIT_CONCURRENCY: '16' });

    // Act
    const config = loadConfig(input);

    // Assess
    expect(config).toMatchObject({ BUILDWARDEN_AUDIT_TOP_OFFENDERS: 25, BUILDWARDEN_AUDIT_CONCURRENCY: 16 });
  });

  it('accepts the topic ARN of another partition', () => {
    // Prepare
    const input = env({
      BUILDWARDEN_NOTIFICATION_TOPIC_ARN: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts',
    });

    // Act
    const config = loadConfig(input);

    // Assess
    expect(config.BUILDWARDEN_NOTIFICATION_TOPIC_ARN).toBe(
      'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts',
    );
  });

  it.each([
    ['BUILDWARDEN_STAGE', 'missing', { BUILDWARDEN_STAGE: undefined }],
    ['BUILDWARDEN_STAGE', 'empty', { BUILDWARDEN_STAGE: '' }],
    ['BUILDWARDEN_NOTIFICATION_TOPIC_ARN', 'missing', { BUILDWARDEN_NOTIFICATION_TOPIC_ARN: undefined }],
    [
      'BUILDWARDEN_NOTIFICATION_TOPIC_ARN',
      'an SQS queue ARN',
      { BUILDWARDEN_NOTIFICATION_TOPIC_ARN: TOPIC_ARN.replace(':sns:', ':sqs:') },
    ],
    [
      'BUILDWARDEN_NOTIFICATION_TOPIC_ARN',
      'a topic name',
      { BUILDWARDEN_NOTIFICATION_TOPIC_ARN: 'buildwarden-notifications' },
    ],
    ['BUILDWARDEN_AUDIT_TOP_OFFENDERS', 'zero', { BUILDWARDEN_AUDIT_TOP_OFFENDERS: '0' }],
    ['BUILDWARDEN_AUDIT_TOP_OFFENDERS', 'above 100', { BUILDWARDEN_AUDIT_TOP_OFFENDERS: '101' }],
    ['BUILDWARDEN_AUDIT_CONCURRENCY', 'not a number', { BUILDWARDEN_AUDIT_CONCURRENCY: 'eight' }],
    ['BUILDWARDEN_AUDIT_CONCURRENCY', 'a fraction', { BUILDWARDEN_AUDIT_CONCURRENCY: '1.5' }],
    ['BUILDWARDEN_AUDIT_CONCURRENCY', 'above 64', { BUILDWARDEN_AUDIT_CONCURRENCY: '65' }],
    ['BUILDWARDEN_CONFIG', 'empty', { BUILDWARDEN_CONFIG: '' }],
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
    const input = { BUILDWARDEN_AUDIT_CONCURRENCY: '0' };

    // Act
    const loading = () => loadConfig(input);

    // Assess
    expect(loading).toThrow(/\bBUILDWARDEN_STAGE\b/);
    expect(loading).toThrow(/BUILDWARDEN_NOTIFICATION_TOPIC_ARN/);
    expect(loading).toThrow(/BUILDWARDEN_AUDIT_CONCURRENCY/);
  });

  it('reads and parses the guardrails file BUILDWARDEN_CONFIG names', () => {
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
    const config = loadConfig(env({ BUILDWARDEN_CONFIG: file }));

    // Assess
    expect(config.BUILDWARDEN_CONFIG).toBe(file);
    expect(config.guardrails.rules['ecr.lifecycle-policy'].maxUntaggedAgeDays).toBe(30);
    expect(config.guardrails.rules['codebuild.privileged-mode'].mode).toBe('off');
  });

  it('fills what the guardrails file leaves out with the defaults', () => {
    // Prepare
    const file = guardrailsFile('rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDays: 30\n');

    // Act
    const config = loadConfig(env({ BUILDWARDEN_CONFIG: file }));

    // Assess
    const defaults = defaultGuardrails();
    expect(config.guardrails.rules['ecr.scan-on-push']).toEqual(defaults.rules['ecr.scan-on-push']);
    expect(config.guardrails.exemptions).toEqual([]);
  });

  it('throws a ConfigError naming BUILDWARDEN_CONFIG when the file does not exist', () => {
    // Prepare
    const missing = path.join(dir, 'absent.yml');

    // Act
    const loading = () => loadConfig(env({ BUILDWARDEN_CONFIG: missing }));

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(`BUILDWARDEN_CONFIG: cannot read ${missing}`);
  });

  it('throws a ConfigError naming BUILDWARDEN_CONFIG when the path is a directory', () => {
    // Prepare: a directory cannot be read as a file, whoever runs the test (root ignores file modes)
    const notAFile = dir;

    // Act
    const loading = () => loadConfig(env({ BUILDWARDEN_CONFIG: notAFile }));

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(/^BUILDWARDEN_CONFIG: cannot read /);
  });

  it('rejects a guardrails file with an unknown option, naming BUILDWARDEN_CONFIG and the option', () => {
    // Prepare
    const file = guardrailsFile('rules:\n  ecr.lifecycle-policy:\n    maxUntaggedAgeDayz: 30\n');

    // Act
    const loading = () => loadConfig(env({ BUILDWARDEN_CONFIG: file }));

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(`BUILDWARDEN_CONFIG (${file})`);
    expect(loading).toThrow(/maxUntaggedAgeDayz/);
  });

  it('rejects a guardrails file that is not YAML, naming BUILDWARDEN_CONFIG', () => {
    // Prepare
    const file = guardrailsFile('rules: [unclosed\n');

    // Act
    const loading = () => loadConfig(env({ BUILDWARDEN_CONFIG: file }));

    // Assess
    expect(loading).toThrow(`BUILDWARDEN_CONFIG (${file})`);
    expect(loading).toThrow(/not valid YAML/);
  });
});

describe('loadConfig: provisioning settings', () => {
  it('rejects a provisioning KMS key that is not a KMS ARN, naming the variable', () => {
    // Act
    const loading = () =>
      loadConfig(env({ BUILDWARDEN_PROVISIONING_KMS_KEY_ARN: 'arn:aws:iam::123456789012:policy/x' }));

    // Assess
    expect(loading).toThrow(/BUILDWARDEN_PROVISIONING_KMS_KEY_ARN: expected a KMS key ARN/);
  });

  it('treats blank provisioning settings (template parameters left empty) as unset', () => {
    // Act
    const config = loadConfig(
      env({
        BUILDWARDEN_PROVISIONING_KMS_KEY_ARN: '',
        BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN: '',
      }),
    );

    // Assess
    expect(config.BUILDWARDEN_PROVISIONING_KMS_KEY_ARN).toBeUndefined();
    expect(config.BUILDWARDEN_PROVISIONING_PERMISSIONS_BOUNDARY_ARN).toBeUndefined();
  });
});

describe('loadConfig: the remediable roles of the change handler', () => {
  it('reads BUILDWARDEN_REMEDIABLE_ROLES as the template passes it', () => {
    // Act
    const config = loadConfig(env({ BUILDWARDEN_REMEDIABLE_ROLES: 'service-role/ci-*' }));

    // Assess
    expect(config.BUILDWARDEN_REMEDIABLE_ROLES).toBe('service-role/ci-*');
  });

  it('rejects a blank BUILDWARDEN_REMEDIABLE_ROLES, naming it (a blank pattern would match no role silently)', () => {
    // Act
    const loading = () => loadConfig(env({ BUILDWARDEN_REMEDIABLE_ROLES: '' }));

    // Assess
    expect(loading).toThrow(ConfigError);
    expect(loading).toThrow(/BUILDWARDEN_REMEDIABLE_ROLES/);
  });
});

describe('the settings schema', () => {
  it('names every setting BUILDWARDEN_*, one name per setting', () => {
    // Assess
    expect(SETTING_NAMES.length).toBeGreaterThan(0);
    expect(SETTING_NAMES.filter((name) => !name.startsWith('BUILDWARDEN_'))).toEqual([]);
    expect(new Set(SETTING_NAMES).size).toBe(SETTING_NAMES.length);
  });

  it('requires nothing unless asked: an empty environment has the defaults (the CLI)', () => {
    // Act
    const settings = parseSettings({});

    // Assess
    expect(settings).toMatchObject({
      BUILDWARDEN_AUDIT_CONCURRENCY: 16,
      BUILDWARDEN_AUDIT_TOP_OFFENDERS: 10,
      BUILDWARDEN_REMEDIABLE_ROLES: 'service-role/*',
    });
    expect(settings.BUILDWARDEN_VERDICTS_TABLE).toBeUndefined();
  });

  it('ignores variables that are not settings', () => {
    // Act
    const settings = parseSettings({ PATH: '/usr/bin', AWS_REGION: 'eu-west-1' });

    // Assess
    expect(Object.keys(settings)).not.toContain('PATH');
  });

  it('names a required setting that is unset, with every malformed one', () => {
    // Prepare
    const required: SettingName[] = ['BUILDWARDEN_VERDICTS_TABLE'];

    // Act
    const parsing = () => parseSettings({ BUILDWARDEN_AUDIT_CONCURRENCY: 'x' }, required);

    // Assess
    expect(parsing).toThrow(ConfigError);
    expect(parsing).toThrow(/BUILDWARDEN_VERDICTS_TABLE: required by this function/);
    expect(parsing).toThrow(/BUILDWARDEN_AUDIT_CONCURRENCY/);
  });
});

describe('requireSettings', () => {
  it('passes when every named setting is set', () => {
    // Prepare
    const settings = parseSettings({ BUILDWARDEN_IDEMPOTENCY_TABLE: 'bw-idempotency' });

    // Act
    const requiring = () => requireSettings(settings, ['BUILDWARDEN_IDEMPOTENCY_TABLE']);

    // Assess
    expect(requiring).not.toThrow();
  });

  it('fails naming each unset setting', () => {
    // Prepare
    const settings = parseSettings({});

    // Act
    const requiring = () =>
      requireSettings(settings, ['BUILDWARDEN_IDEMPOTENCY_TABLE', 'BUILDWARDEN_BUILDS_TABLE']);

    // Assess
    expect(requiring).toThrow(ConfigError);
    expect(requiring).toThrow(
      'invalid environment: BUILDWARDEN_IDEMPOTENCY_TABLE: required by this function; ' +
        'BUILDWARDEN_BUILDS_TABLE: required by this function',
    );
  });
});

describe('loadConfig: the findings state and Security Hub', () => {
  it('reads the findings table, Security Hub switch and retention as the template passes them', () => {
    // Act
    const config = loadConfig(
      env({
        BUILDWARDEN_FINDINGS_TABLE: 'buildwarden-prod-findings',
        BUILDWARDEN_SECURITY_HUB: 'true',
        BUILDWARDEN_FINDINGS_RETENTION_DAYS: '30',
      }),
    );

    // Assess
    expect(config).toMatchObject({
      BUILDWARDEN_FINDINGS_TABLE: 'buildwarden-prod-findings',
      BUILDWARDEN_SECURITY_HUB: true,
      BUILDWARDEN_FINDINGS_RETENTION_DAYS: 30,
    });
  });

  it('rejects a BUILDWARDEN_SECURITY_HUB that is neither true nor false, naming it', () => {
    // Act
    const loading = () => loadConfig(env({ BUILDWARDEN_SECURITY_HUB: 'yes' }));

    // Assess
    expect(loading).toThrow(/BUILDWARDEN_SECURITY_HUB: expected true or false/);
  });

  it('rejects a retention that is not a whole number of days from 1 to 3650, naming it', () => {
    // Act
    const zero = () => loadConfig(env({ BUILDWARDEN_FINDINGS_RETENTION_DAYS: '0' }));
    const fraction = () => loadConfig(env({ BUILDWARDEN_FINDINGS_RETENTION_DAYS: '1.5' }));

    // Assess
    expect(zero).toThrow(/BUILDWARDEN_FINDINGS_RETENTION_DAYS/);
    expect(fraction).toThrow(/BUILDWARDEN_FINDINGS_RETENTION_DAYS/);
  });
});

describe('loadConfig: organization mode', () => {
  it('reads comma-separated regions, accounts and organizational units, trimming spaces', () => {
    // Act
    const config = loadConfig(
      env({
        BUILDWARDEN_REGIONS: 'us-east-1, eu-west-1',
        BUILDWARDEN_ACCOUNTS: '111122223333,444455556666',
        BUILDWARDEN_ORGANIZATIONAL_UNITS: 'ou-ab12-11111111,r-ab12',
      }),
    );

    // Assess
    expect(config).toMatchObject({
      BUILDWARDEN_REGIONS: ['us-east-1', 'eu-west-1'],
      BUILDWARDEN_ACCOUNTS: ['111122223333', '444455556666'],
      BUILDWARDEN_ORGANIZATIONAL_UNITS: ['ou-ab12-11111111', 'r-ab12'],
    });
  });

  it('treats an empty list (a blank template parameter) as unset', () => {
    // Act
    const config = loadConfig(env({ BUILDWARDEN_ACCOUNTS: '', BUILDWARDEN_REGIONS: ' ' }));

    // Assess
    expect(config.BUILDWARDEN_ACCOUNTS).toBeUndefined();
    expect(config.BUILDWARDEN_REGIONS).toBeUndefined();
  });

  it('rejects an account id that is not 12 digits, naming the setting', () => {
    // Act
    const loading = () => loadConfig(env({ BUILDWARDEN_ACCOUNTS: '111122223333,12345' }));

    // Assess
    expect(loading).toThrow(/BUILDWARDEN_ACCOUNTS\[1\]: expected 12-digit account ids/);
  });
});
