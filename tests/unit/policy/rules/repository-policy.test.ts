/**
 * ecr.repository-policy on plain data: which statements are proven limited, which are not, and which of the
 * violating ones remediation may remove. The property test checks the judgement against a reference table of
 * operators, keys and values written independently of the implementation.
 */
import fc from 'fast-check';
import type { Guardrails } from '../../../../lib/policy/guardrails';
import type { AccountView } from '../../../../lib/policy/rules/types';
import { repositoryPolicyRule } from '../../../../lib/policy/rules/ecr/repository-policy';
import type { OffendingStatement } from '../../../../lib/policy/rules/ecr/repository-policy-statements';
import { ACCOUNT, guardrailsWith, repository, ruleContext } from '../../../fixtures/builders';

const PARTNER = '111122223333'; // in allowedAccounts where a test says so
const STRANGER = '999988887777';
const OWN_ORG = 'o-a1b2c3d4e5';
const ALLOWED_ORG = 'o-f6g7h8i9j0';
const OTHER_ORG = 'o-zzzzzzzzzz';
const UNREADABLE = 'AccessDeniedException: not authorized to perform organizations:DescribeOrganization';

type Statement = Record<string, unknown>;

const pull = (statement: Statement): Statement => ({
  Sid: 'Pull',
  Effect: 'Allow',
  Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
  ...statement,
});
const everyone = (Condition?: unknown): Statement =>
  pull({ Principal: '*', ...(Condition !== undefined ? { Condition } : {}) });

function judge(
  statements: Statement[],
  options: { guardrails?: Guardrails; view?: Partial<AccountView> } = {},
) {
  const text = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const outcome = repositoryPolicyRule(
    repository('team/app', { repositoryPolicyText: text }),
    ruleContext({ view: { organizationId: OWN_ORG, ...options.view }, ...options }),
  );
  const offending = (outcome.details?.offendingStatements ?? []) as OffendingStatement[];
  return { outcome, offending, first: offending[0] };
}

const orgGuardrails = (options: Partial<Guardrails['rules']['ecr.repository-policy']>) =>
  guardrailsWith('ecr.repository-policy', options);

describe('ecr.repository-policy: the account’s own organization', () => {
  it('accepts Principal * limited to the own organization by aws:PrincipalOrgID', () => {
    // Act
    const { outcome } = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': OWN_ORG } })]);

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('accepts the own organization through its organization paths', () => {
    // Prepare
    const path = `${OWN_ORG}/r-ab12/ou-ab12-11111111/*`;

    // Act
    const { outcome } = judge([everyone({ 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': [path] } })]);

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('says in the finding when the own organization could not be determined, and leaves the statement', () => {
    // Act
    const { outcome, first } = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': OWN_ORG } })], {
      view: { organizationId: undefined, organizationUnreadable: UNREADABLE },
    });

    // Assess
    expect(outcome).toMatchObject({ status: 'violation', remediable: false });
    expect(outcome.message).toContain(
      `the account's own organization could not be determined: ${UNREADABLE}`,
    );
    expect(first).toMatchObject({ removable: false, organizations: [OWN_ORG] });
  });

  it('treats an account in no organization as having no own organization', () => {
    // Act
    const { outcome } = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': OWN_ORG } })], {
      view: { organizationId: null },
    });

    // Assess
    expect(outcome.status).toBe('violation');
    expect(outcome.message).not.toContain('could not be determined');
  });
});

describe('ecr.repository-policy: configured organizations', () => {
  it('accepts an organization listed in allowedOrganizations', () => {
    // Act
    const { outcome } = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': ALLOWED_ORG } })], {
      guardrails: orgGuardrails({ allowedOrganizations: [ALLOWED_ORG] }),
    });

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('reports an unknown organization but leaves the statement in place by default, saying why', () => {
    // Act
    const { outcome, first } = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': OTHER_ORG } })]);

    // Assess
    expect(outcome).toMatchObject({ status: 'violation', remediable: false });
    expect(outcome.message).toContain(`limited to organizations not allowed: ${OTHER_ORG}`);
    expect(outcome.message).toMatch(
      /left in place: it is limited to organization o-zzzzzzzzzz; .*deniedOrganizations/,
    );
    expect(first).toMatchObject({ removable: false, organizations: [OTHER_ORG] });
  });

  it('makes an unknown organization removable with removeUnknownOrganizations', () => {
    // Act
    const { outcome, first } = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': OTHER_ORG } })], {
      guardrails: orgGuardrails({ removeUnknownOrganizations: true }),
    });

    // Assess
    expect(outcome).toMatchObject({ status: 'violation', remediable: true });
    expect(first?.removable).toBe(true);
  });

  it('never removes with removeUnknownOrganizations while the own organization is unknown', () => {
    // Act
    const { first } = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': OTHER_ORG } })], {
      guardrails: orgGuardrails({ removeUnknownOrganizations: true }),
      view: { organizationId: undefined, organizationUnreadable: UNREADABLE },
    });

    // Assess
    expect(first).toMatchObject({ removable: false });
    expect(first?.keptBecause).toContain('could not be determined');
  });

  it('makes a statement limited to a denied organization removable, even the own one', () => {
    // Act
    const denied = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': OTHER_ORG } })], {
      guardrails: orgGuardrails({ deniedOrganizations: [OTHER_ORG] }),
    });
    const own = judge([everyone({ StringEquals: { 'aws:PrincipalOrgID': OWN_ORG } })], {
      guardrails: orgGuardrails({ deniedOrganizations: [OWN_ORG] }),
    });

    // Assess
    expect(denied.first).toMatchObject({ removable: true });
    expect(own.outcome.status).toBe('violation');
    expect(own.first).toMatchObject({ removable: true });
  });

  it('leaves a statement limited to another organization by its paths in place', () => {
    // Act
    const { outcome, first } = judge([
      everyone({ 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': [`${OTHER_ORG}/r-ab12/*`] } }),
    ]);

    // Assess
    expect(outcome.status).toBe('violation');
    expect(first).toMatchObject({ removable: false, organizations: [OTHER_ORG] });
  });

  it('does not count a wildcard organization as a limit', () => {
    // Act
    const { outcome, first } = judge([
      everyone({ StringLike: { 'aws:PrincipalOrgPaths': ['o-*/r-ab12/*'] } }),
    ]);

    // Assess
    expect(outcome.message).toContain('allows values that are not fixed organizations: o-*/r-ab12/*');
    expect(first).toMatchObject({ removable: true });
  });
});

describe('ecr.repository-policy: conditions it cannot prove leave a statement open', () => {
  it.each([
    ['ForAnyValue:StringNotEquals', 'aws:PrincipalAccount', [ACCOUNT]],
    ['StringNotEquals', 'aws:PrincipalAccount', [ACCOUNT]],
    ['ForAllValues:StringNotEquals', 'aws:PrincipalAccount', [ACCOUNT]],
    ['ForAllValues:StringEquals', 'aws:PrincipalOrgPaths', [`${OWN_ORG}/*`]],
    ['StringEqualsIfExists', 'aws:PrincipalOrgID', [OWN_ORG]],
    ['ForAnyValue:StringLikeIfExists', 'aws:PrincipalOrgPaths', [`${OWN_ORG}/*`]],
    ['ArnNotLike', 'aws:PrincipalArn', [`arn:aws:iam::${ACCOUNT}:role/*`]],
    ['Null', 'aws:PrincipalOrgID', ['false']],
    ['Bool', 'aws:SecureTransport', ['true']],
    ['StringEquals', 'aws:ResourceAccount', [ACCOUNT]],
    ['StringEquals', 'aws:username', ['ci']],
    ['StringEqualsIgnoreCase', 'aws:PrincipalOrgID', [OWN_ORG]],
    ['stringequals', 'aws:PrincipalOrgID', [OWN_ORG]],
  ])('%s on %s is a violation that names the condition', (operator, key, values) => {
    // Act
    const { outcome, first } = judge([everyone({ [operator]: { [key]: values } })]);

    // Assess
    expect(outcome.status).toBe('violation');
    expect(first?.reason).toBe(`cannot prove this statement is limited: ${operator} ${key}`);
  });

  it('removes the statement of the reported exploit: every account except the owner', () => {
    // Act
    const { outcome, first } = judge([
      everyone({ 'ForAnyValue:StringNotEquals': { 'aws:PrincipalAccount': [ACCOUNT] } }),
    ]);

    // Assess
    expect(outcome).toMatchObject({ status: 'violation', remediable: true });
    expect(first?.removable).toBe(true);
  });

  it('says in the message which conditions count as limiting', () => {
    // Act
    const { outcome } = judge([everyone({ Bool: { 'aws:SecureTransport': 'true' } })]);

    // Assess
    expect(outcome.message).toContain(
      'counts as limited only by StringEquals, StringLike, ArnEquals or ArnLike (optionally ForAnyValue:, never IfExists)',
    );
  });

  it('does not let a limiting condition vouch for one it cannot prove in the same block', () => {
    // Act
    const { outcome, first } = judge([
      everyone({
        StringEquals: { 'aws:PrincipalOrgID': OWN_ORG },
        StringNotEquals: { 'aws:PrincipalAccount': STRANGER },
      }),
    ]);

    // Assess
    expect(outcome.status).toBe('violation');
    expect(first?.reason).toBe(
      'cannot prove this statement is limited: StringNotEquals aws:PrincipalAccount',
    );
    expect(first).toMatchObject({ removable: false, organizations: [OWN_ORG] });
  });

  it('leaves a statement limited to the own account in place when it also has a condition it cannot prove', () => {
    // Act
    const { first } = judge([
      everyone({
        StringEquals: { 'aws:PrincipalAccount': ACCOUNT },
        Bool: { 'aws:SecureTransport': 'true' },
      }),
    ]);

    // Assess
    expect(first).toMatchObject({ removable: false });
    expect(first?.keptBecause).toContain('limits it to allowed accounts');
  });

  it('treats a malformed Condition as unprovable', () => {
    // Act
    const { first } = judge([everyone({ StringEquals: { 'aws:PrincipalAccount': [] } })]);

    // Assess
    expect(first?.reason).toBe('cannot prove this statement is limited: StringEquals aws:PrincipalAccount');
  });
});

describe('ecr.repository-policy: conditions it understands', () => {
  it('compares condition keys case-insensitively', () => {
    // Act
    const { outcome } = judge([everyone({ StringEquals: { 'AWS:PRINCIPALORGID': OWN_ORG } })]);

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('takes the conjunction of the block: one condition inside the allowed set is enough', () => {
    // Act
    const { outcome } = judge([
      everyone({
        StringEquals: { 'aws:PrincipalAccount': STRANGER },
        'ForAnyValue:StringEquals': { 'aws:PrincipalOrgID': [OWN_ORG] },
      }),
    ]);

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('accepts aws:SourceAccount and aws:SourceOrgID naming the own account and organization', () => {
    // Act
    const account = judge([everyone({ StringEquals: { 'aws:SourceAccount': ACCOUNT } })]);
    const org = judge([everyone({ StringEquals: { 'aws:SourceOrgID': OWN_ORG } })]);

    // Assess
    expect([account.outcome.status, org.outcome.status]).toEqual(['compliant', 'compliant']);
  });

  it.each([
    ['ArnLike', `arn:aws:iam::${ACCOUNT}:role/*`, 'compliant'],
    ['StringLike', `arn:aws:iam::${ACCOUNT}:role/ci-*`, 'compliant'],
    ['ArnEquals', `arn:aws:iam::${ACCOUNT}:role/ci`, 'compliant'],
    ['ArnLike', 'arn:aws:iam::*:role/ci', 'violation'],
    ['ArnLike', `arn:*:iam::${ACCOUNT}:role/ci`, 'compliant'],
    // A string operator lets `*` span colons: the account could be anything.
    ['StringLike', `arn:*:iam::${ACCOUNT}:role/ci`, 'violation'],
    ['StringEquals', `arn:aws:iam::${STRANGER}:role/ci`, 'violation'],
    ['ArnLike', `arn:aws:iam::\${aws:PrincipalAccount}:role/ci`, 'violation'],
  ])('%s aws:PrincipalArn %s is %s', (operator, value, status) => {
    // Act
    const { outcome } = judge([everyone({ [operator]: { 'aws:PrincipalArn': value } })]);

    // Assess
    expect(outcome.status).toBe(status);
  });

  it('names accounts outside the allowlist and removes the statement', () => {
    // Act
    const { outcome, first } = judge([everyone({ StringEquals: { 'aws:PrincipalAccount': STRANGER } })]);

    // Assess
    expect(outcome.message).toContain(`limited to accounts outside the allowlist: ${STRANGER}`);
    expect(first?.removable).toBe(true);
  });
});

describe('ecr.repository-policy: principals', () => {
  it.each([
    [ACCOUNT, 'compliant'],
    [`arn:aws:iam::${ACCOUNT}:root`, 'compliant'],
    [`arn:aws:iam::${ACCOUNT}:role/ci`, 'compliant'],
    [STRANGER, 'violation'],
    [`arn:aws:iam::${STRANGER}:role/ci`, 'violation'],
    ['*', 'violation'],
  ])('Principal {"AWS": "%s"} is %s', (principal, status) => {
    // Act
    const { outcome } = judge([pull({ Principal: { AWS: principal } })]);

    // Assess
    expect(outcome.status).toBe(status);
  });

  it('accepts an account of the allowlist', () => {
    // Act
    const { outcome } = judge([pull({ Principal: { AWS: `arn:aws:iam::${PARTNER}:root` } })], {
      guardrails: orgGuardrails({ allowedAccounts: [PARTNER] }),
    });

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('accepts another account’s principal when a condition limits it to the own organization', () => {
    // Act
    const { outcome } = judge([
      pull({
        Principal: { AWS: `arn:aws:iam::${STRANGER}:root` },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': OWN_ORG } },
      }),
    ]);

    // Assess
    expect(outcome.status).toBe('compliant');
  });

  it('reports NotPrincipal with Allow and removes it when nothing limits it', () => {
    // Act
    const { outcome, first } = judge([pull({ NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })]);

    // Assess
    expect(outcome.status).toBe('violation');
    expect(first).toMatchObject({ reason: expect.stringMatching(/NotPrincipal/), removable: true });
  });

  it('leaves NotPrincipal with Allow in place when an organization condition limits it', () => {
    // Act
    const { first } = judge([
      pull({
        NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': OTHER_ORG } },
      }),
    ]);

    // Assess
    expect(first).toMatchObject({ removable: false, organizations: [OTHER_ORG] });
  });
});

// ---- property test against a reference table ------------------------------------------------------------

/** How IAM reads an operator, per the rule: understood positive forms, everything else unprovable. */
const OPERATOR_TABLE: Record<string, { understood: boolean; arn: boolean }> = {
  StringEquals: { understood: true, arn: false },
  StringLike: { understood: true, arn: false },
  ArnEquals: { understood: true, arn: true },
  ArnLike: { understood: true, arn: true },
  'ForAnyValue:StringEquals': { understood: true, arn: false },
  'ForAnyValue:StringLike': { understood: true, arn: false },
  'ForAnyValue:ArnEquals': { understood: true, arn: true },
  'ForAnyValue:ArnLike': { understood: true, arn: true },
  'ForAllValues:StringEquals': { understood: false, arn: false },
  'ForAllValues:ArnLike': { understood: false, arn: true },
  StringEqualsIfExists: { understood: false, arn: false },
  ArnLikeIfExists: { understood: false, arn: true },
  'ForAnyValue:StringLikeIfExists': { understood: false, arn: false },
  StringNotEquals: { understood: false, arn: false },
  StringNotLike: { understood: false, arn: false },
  ArnNotEquals: { understood: false, arn: true },
  'ForAnyValue:StringNotEquals': { understood: false, arn: false },
  'ForAllValues:StringNotLike': { understood: false, arn: false },
  StringEqualsIgnoreCase: { understood: false, arn: false },
  stringequals: { understood: false, arn: false },
  Null: { understood: false, arn: false },
  Bool: { understood: false, arn: false },
  NumericEquals: { understood: false, arn: false },
};

type Family = 'account' | 'arn' | 'org' | 'orgPath';
const KEY_TABLE: Record<string, Family | undefined> = {
  'aws:PrincipalAccount': 'account',
  'AWS:SOURCEACCOUNT': 'account',
  'aws:PrincipalArn': 'arn',
  'aws:sourcearn': 'arn',
  'aws:PrincipalOrgID': 'org',
  'aws:SourceOrgID': 'org',
  'aws:PrincipalOrgPaths': 'orgPath',
  'aws:SourceOrgPaths': 'orgPath',
  'aws:ResourceAccount': undefined,
  'aws:SourceIp': undefined,
  'aws:PrincipalTag/team': undefined,
  'aws:username': undefined,
};

/**
 * Per value and key family: whether the value is inside the allowed set (own account, own organization and
 * ALLOWED_ORG allowed), and for organization families whether it pins a fixed organization. `arn` holds two
 * answers: under String operators (a `*` spans colons) and under Arn operators (segment by segment).
 */
interface ValueRow {
  account: boolean;
  arn: { string: boolean; arn: boolean };
  org: 'allowed' | 'other' | 'loose';
  orgPath: 'allowed' | 'other' | 'loose';
}
const no = { string: false, arn: false };
const VALUE_TABLE: Record<string, ValueRow> = {
  [ACCOUNT]: { account: true, arn: no, org: 'other', orgPath: 'loose' },
  [STRANGER]: { account: false, arn: no, org: 'other', orgPath: 'loose' },
  '*': { account: false, arn: no, org: 'loose', orgPath: 'loose' },
  [`arn:aws:iam::${ACCOUNT}:role/ci`]: {
    account: false,
    arn: { string: true, arn: true },
    org: 'other',
    orgPath: 'other',
  },
  [`arn:aws:iam::${ACCOUNT}:role/*`]: {
    account: false,
    arn: { string: true, arn: true },
    org: 'loose',
    orgPath: 'other',
  },
  'arn:aws:iam::*:role/ci': { account: false, arn: no, org: 'loose', orgPath: 'loose' },
  [`arn:*:iam::${ACCOUNT}:role/ci`]: {
    account: false,
    arn: { string: false, arn: true },
    org: 'loose',
    orgPath: 'loose',
  },
  [`arn:aws:iam::${STRANGER}:root`]: { account: false, arn: no, org: 'other', orgPath: 'loose' },
  [OWN_ORG]: { account: false, arn: no, org: 'allowed', orgPath: 'loose' },
  [ALLOWED_ORG]: { account: false, arn: no, org: 'allowed', orgPath: 'loose' },
  [OTHER_ORG]: { account: false, arn: no, org: 'other', orgPath: 'loose' },
  'o-*': { account: false, arn: no, org: 'loose', orgPath: 'loose' },
  [`${OWN_ORG}/r-ab12/ou-ab12-11111111/*`]: { account: false, arn: no, org: 'loose', orgPath: 'allowed' },
  [`${ALLOWED_ORG}/r-ab12/`]: { account: false, arn: no, org: 'other', orgPath: 'allowed' },
  [`${OTHER_ORG}/*`]: { account: false, arn: no, org: 'loose', orgPath: 'other' },
  'o-*/r-ab12/*': { account: false, arn: no, org: 'loose', orgPath: 'loose' },
  '${aws:PrincipalAccount}': { account: false, arn: no, org: 'loose', orgPath: 'loose' },
};

function insideByTable(operator: string, family: Family, value: string): boolean {
  const row = VALUE_TABLE[value]!;
  if (family === 'account') return row.account;
  if (family === 'arn') return OPERATOR_TABLE[operator]!.arn ? row.arn.arn : row.arn.string;
  return row[family] === 'allowed';
}

interface Reference {
  status: 'compliant' | 'violation';
  unprovable: string[];
  organizationLimited: boolean;
  open: boolean;
}

/** The judgement of `Principal: *` with this Condition, read off the tables. */
function reference(condition: Record<string, Record<string, string[]>>): Reference {
  const unprovable: string[] = [];
  let inside = false;
  let understood = 0;
  let organizationLimited = false;
  for (const [operator, block] of Object.entries(condition)) {
    for (const [key, values] of Object.entries(block)) {
      const family = KEY_TABLE[key];
      if (!OPERATOR_TABLE[operator]!.understood || !family) {
        unprovable.push(`${operator} ${key}`);
        continue;
      }
      understood += 1;
      if (values.every((v) => insideByTable(operator, family, v))) inside = true;
      if (
        (family === 'org' || family === 'orgPath') &&
        values.every((v) => VALUE_TABLE[v]![family] !== 'loose')
      )
        organizationLimited = true;
    }
  }
  return {
    status: unprovable.length === 0 && inside ? 'compliant' : 'violation',
    unprovable,
    organizationLimited,
    open: unprovable.length === 0 && understood === 0,
  };
}

const conditionArb = fc
  .array(
    fc.record({
      operator: fc.constantFrom(...Object.keys(OPERATOR_TABLE)),
      key: fc.constantFrom(...Object.keys(KEY_TABLE)),
      values: fc.subarray(Object.keys(VALUE_TABLE), { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((entries) => {
    const condition: Record<string, Record<string, string[]>> = {};
    for (const { operator, key, values } of entries) (condition[operator] ??= {})[key] = values;
    return condition;
  });

const principalArb = fc.constantFrom<unknown>('*', { AWS: '*' }, { AWS: [`arn:aws:iam::${STRANGER}:root`] });

describe('ecr.repository-policy against the reference table', () => {
  const guardrails = orgGuardrails({ allowedOrganizations: [ALLOWED_ORG] });

  it('judges every generated statement as the table says', () => {
    fc.assert(
      fc.property(principalArb, conditionArb, (Principal, condition) => {
        // Act
        const { outcome, first } = judge([pull({ Principal, Condition: condition })], { guardrails });

        // Assess
        const expected = reference(condition);
        expect(outcome.status).toBe(expected.status);
        if (expected.unprovable.length > 0) {
          expect(first?.reason).toContain(
            `cannot prove this statement is limited: ${expected.unprovable.join(', ')}`,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets remediation remove an organization-limited statement by default', () => {
    fc.assert(
      fc.property(principalArb, conditionArb, (Principal, condition) => {
        // Act
        const { first } = judge([pull({ Principal, Condition: condition })], { guardrails });

        // Assess
        const expected = reference(condition);
        if (first && expected.organizationLimited) {
          expect(first.removable).toBe(false);
          expect(first.keptBecause).toEqual(expect.any(String));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts a statement whatever its condition when the principal is the own account', () => {
    fc.assert(
      fc.property(conditionArb, (condition) => {
        // Act
        const { outcome } = judge(
          [pull({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/ci` }, Condition: condition })],
          { guardrails },
        );

        // Assess
        expect(outcome.status).toBe('compliant');
      }),
      { numRuns: 300 },
    );
  });
});
