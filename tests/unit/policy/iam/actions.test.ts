import type { ActionCatalog } from '../../../../lib/policy/iam/actions';
import { loadActionCatalog } from '../../../../lib/action-catalog';
import {
  createActionCatalog,
  expandActionPattern,
  iamWriteActions,
  isMutating,
  servicesReferenced,
  unknownActions,
} from '../../../../lib/policy/iam/actions';

const allowing = (...actions: string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
});

describe('loadActionCatalog (iam-data)', () => {
  let catalog: ActionCatalog;
  beforeAll(async () => {
    catalog = await loadActionCatalog(['ecr', 'IAM', 'sts', 'no-such-service']);
  });

  it('loads the actions of the known services asked for, with access levels', () => {
    // Act
    const putImage = catalog.actions.get('ecr')?.find((a) => a.action === 'ecr:PutImage');
    const setPolicy = catalog.actions.get('ecr')?.find((a) => a.action === 'ecr:SetRepositoryPolicy');

    // Assess
    expect(putImage?.accessLevels).toEqual(['Write']);
    expect(setPolicy?.accessLevels).toEqual(['Permissions management', 'Write']);
    expect([...catalog.actions.keys()].sort()).toEqual(['ecr', 'iam', 'sts']);
  });

  it('knows every service prefix, loaded or not', () => {
    // Assess
    expect(catalog.services.has('s3')).toBe(true);
    expect(catalog.services.has('no-such-service')).toBe(false);
  });

  it.each([
    'ecr:PutImage',
    'ECR:putimage',
    'ecr:Put*',
    'ecr:?etAuthorizationToken',
    'ecr:*',
    '*',
    'iam:PassRole',
  ])('knows %s', (action) => {
    // Act
    const unknown = unknownActions(allowing(action), catalog);

    // Assess
    expect(unknown).toEqual([]);
  });

  it.each(['ecr:PutImages', 'ecrr:PutImage', 'ecr:Put*Layer', 'PutImage', 'sts:AssumeRoles'])(
    'reports %s as unknown',
    (action) => {
      // Act
      const unknown = unknownActions(allowing(action), catalog);

      // Assess
      expect(unknown).toEqual([action]);
    },
  );

  it('does not judge actions of a known service whose actions were not loaded', () => {
    // Act
    const unknown = unknownActions(allowing('s3:GetObjectt'), catalog);

    // Assess
    expect(unknown).toEqual([]);
  });

  it('checks NotAction patterns too, reporting each pattern once', () => {
    // Prepare
    const document = {
      Statement: [
        { Effect: 'Deny', NotAction: ['ecr:PushImage'], Resource: '*' },
        { Effect: 'Allow', Action: 'ecr:PushImage', Resource: '*' },
      ],
    };

    // Act
    const unknown = unknownActions(document, catalog);

    // Assess
    expect(unknown).toEqual(['ecr:PushImage']);
  });

  it('classifies every IAM action the same by naming convention as by iam-data access level', () => {
    // Prepare
    const iamActions = catalog.actions.get('iam') ?? [];

    // Act
    const disagreements = iamActions.filter((a) => {
      const byCatalog = iamWriteActions(a.action, catalog).length > 0;
      const byName = iamWriteActions(a.action).length > 0;
      return byCatalog !== byName;
    });

    // Assess
    expect(iamActions.length).toBeGreaterThan(150);
    expect(disagreements).toEqual([]);
  });

  it('expands an IAM wildcard to the write actions it covers, without iam:PassRole', () => {
    // Act
    const writes = iamWriteActions('iam:*Role', catalog);

    // Assess
    expect(writes).toEqual(expect.arrayContaining(['iam:CreateRole', 'iam:DeleteRole']));
    expect(writes).not.toContain('iam:PassRole');
    expect(writes).not.toContain('iam:GetRole');
  });
});

describe('action catalogue from plain data', () => {
  const catalog = createActionCatalog(['ecr', 's3'], {
    ecr: [
      { action: 'ecr:PutImage', accessLevels: ['Write'] },
      { action: 'ecr:BatchGetImage', accessLevels: ['Read'] },
    ],
  });

  it('expands a pattern to the loaded actions it covers', () => {
    // Act
    const expanded = expandActionPattern('ecr:*Image', catalog);

    // Assess
    expect(expanded?.map((a) => a.action)).toEqual(['ecr:PutImage', 'ecr:BatchGetImage']);
  });

  it('cannot expand a pattern of a service that was not loaded', () => {
    // Act
    const expanded = expandActionPattern('s3:*', catalog);

    // Assess
    expect(expanded).toBeUndefined();
  });

  it('counts Write but not Read as mutating', () => {
    // Act
    const levels = (catalog.actions.get('ecr') ?? []).map(isMutating);

    // Assess
    expect(levels).toEqual([true, false]);
  });
});

describe('iamWriteActions without a catalogue', () => {
  it.each([
    ['iam:Get*', []],
    ['iam:List*', []],
    ['iam:PassRole', []],
    ['iam:CreateRole', ['iam:CreateRole']],
    ['iam:*', ['iam:*']],
    ['iam:?etRole', ['iam:?etRole']],
  ])('classifies %s', (pattern, expected) => {
    // Act
    const writes = iamWriteActions(pattern);

    // Assess
    expect(writes).toEqual(expected);
  });
});

describe('servicesReferenced', () => {
  it('collects lower-case service prefixes from Action and NotAction, skipping malformed parts', () => {
    // Prepare
    const documents = [
      allowing('ECR:PutImage', 'logs:CreateLogStream', '*'),
      { Statement: [{ Effect: 'Deny', NotAction: ['iam:*', 42], Resource: '*' }, 'junk'] },
    ];

    // Act
    const services = servicesReferenced(documents);

    // Assess
    expect(services).toEqual(['ecr', 'iam', 'logs']);
  });
});
