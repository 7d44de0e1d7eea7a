/**
 * CloudTrail change events delivered by EventBridge (`AWS API Call via CloudTrail`, `AWS Service Event via
 * CloudTrail`): which resource an event names. The event is a hint, not the truth — the use case re-reads
 * the resource and evaluates its current state.
 */
import * as z from 'zod';
import { ACCOUNT_ID, parseArn } from './aws-facts';
import { normalPrefix, type RegistryResource } from './registry-settings';
import { InvalidInputError, formatIssues } from './validation';

export const CHANGE_DETAIL_TYPES = [
  'AWS API Call via CloudTrail',
  'AWS Service Event via CloudTrail',
] as const;

/**
 * The API calls buildwarden reacts to, by event source. Tags matter because `buildwarden:exempt` decides what
 * is changed: a tag change re-evaluates the resource at once. CodeBuild has no tagging API for projects; their
 * tags change through CreateProject and UpdateProject.
 */
export const CHANGE_EVENT_NAMES = {
  'ecr.amazonaws.com': [
    'CreateRepository',
    'DeleteLifecyclePolicy',
    'PutLifecyclePolicy',
    'PutImageScanningConfiguration',
    'PutImageTagMutability',
    'SetRepositoryPolicy',
    'DeleteRepositoryPolicy',
    'PutRegistryScanningConfiguration',
    'TagResource',
    'UntagResource',
    // Registry-level settings (the registry rules).
    'PutReplicationConfiguration',
    'PutRegistryPolicy',
    'DeleteRegistryPolicy',
    'CreatePullThroughCacheRule',
    'UpdatePullThroughCacheRule',
    'CreateRepositoryCreationTemplate',
    'UpdateRepositoryCreationTemplate',
    'DeleteRepositoryCreationTemplate',
  ],
  'codebuild.amazonaws.com': ['CreateProject', 'UpdateProject', 'UpdateProjectVisibility'],
  'iam.amazonaws.com': [
    'PutRolePolicy',
    'DeleteRolePolicy',
    'AttachRolePolicy',
    'DetachRolePolicy',
    'UpdateAssumeRolePolicy',
    'PutRolePermissionsBoundary',
    'DeleteRolePermissionsBoundary',
    'TagRole',
    'UntagRole',
    'CreatePolicyVersion',
    'SetDefaultPolicyVersion',
    'DeletePolicyVersion',
  ],
} as const;

/** IAM calls that change a managed policy: the roles it is attached to are re-evaluated. */
const POLICY_VERSION_EVENTS: readonly string[] = [
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'DeletePolicyVersion',
];

/** The registry-level resource each registry-setting call changes. */
const REGISTRY_SETTING_EVENTS: Partial<Record<string, RegistryResource>> = {
  PutReplicationConfiguration: 'replication-configuration',
  PutRegistryPolicy: 'registry-policy',
  DeleteRegistryPolicy: 'registry-policy',
  CreatePullThroughCacheRule: 'pull-through-cache-rule',
  UpdatePullThroughCacheRule: 'pull-through-cache-rule',
  CreateRepositoryCreationTemplate: 'repository-creation-template',
  UpdateRepositoryCreationTemplate: 'repository-creation-template',
  DeleteRepositoryCreationTemplate: 'repository-creation-template',
};

export type ChangeTarget =
  | { kind: 'repository'; repositoryName: string }
  | { kind: 'registry' }
  /**
   * A registry-level setting changed: the registry rules judging it (and those it affects) are judged again;
   * `prefix` is the pull through cache rule's or template's prefix the call names.
   */
  | { kind: 'registry-setting'; resource: RegistryResource; prefix?: string }
  | { kind: 'project'; projectName: string }
  | { kind: 'role'; roleName: string }
  | { kind: 'policy'; policyArn: string };

/** An account the call names besides the envelope's, and the field naming it. */
export interface AccountReference {
  field: string;
  account: string;
}

export interface ChangeEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  time: string;
  account: string;
  region: string;
  /** Who made the call: the identity ARN, or its type when there is none (AWSService, Root …). */
  principal: string;
  /** The role behind an assumed-role session (userIdentity.sessionContext.sessionIssuer.arn). */
  principalRoleArn?: string;
  /** Set when the call failed; such events are skipped. */
  errorCode?: string;
  /**
   * Accounts other than the envelope's that the call names (registryId, resource ARNs, recipientAccountId):
   * such a call concerns resources that are not this deployment's to change.
   */
  otherAccounts?: AccountReference[];
  /** The resource the call names; absent only for a failed call (errorCode) whose request names none. */
  target?: ChangeTarget;
}

const nonEmpty = z.string().min(1);
const looseRecord = z.record(z.string(), z.unknown());

const envelopeSchema = z.looseObject({
  id: nonEmpty,
  'detail-type': z.enum(CHANGE_DETAIL_TYPES),
  source: nonEmpty,
  account: z.string().regex(ACCOUNT_ID, 'expected a 12-digit account id'),
  time: nonEmpty,
  region: nonEmpty,
  detail: z.looseObject({
    eventSource: z.enum(Object.keys(CHANGE_EVENT_NAMES) as [keyof typeof CHANGE_EVENT_NAMES]),
    eventName: nonEmpty,
    eventID: z.string().optional(),
    errorCode: z.string().optional(),
    recipientAccountId: z.unknown().optional(),
    userIdentity: z
      .looseObject({
        type: z.string().optional(),
        arn: z.string().optional(),
        invokedBy: z.string().optional(),
        sessionContext: z
          .looseObject({ sessionIssuer: z.looseObject({ arn: z.string().optional() }).optional() })
          .optional(),
      })
      .optional(),
    requestParameters: looseRecord.nullish(),
    responseElements: looseRecord.nullish(),
    resources: z
      .array(z.looseObject({ ARN: z.string().optional(), accountId: z.unknown().optional() }))
      .optional(),
  }),
});

function stringAt(value: unknown, ...path: string[]): string | undefined {
  let current: unknown = value;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'string' && current !== '' ? current : undefined;
}

/** The parts of an ARN (`arn:partition:service:region:account:resource`), or undefined when it is not one. */
const partsOf = (arn: string | undefined) => (arn === undefined ? undefined : parseArn(arn));

/** The resource name after `<type>/` in an ARN of `service`, e.g. the repository name of an ECR ARN. */
function nameInArn(arn: string | undefined, service: string, type: string): string | undefined {
  const parts = partsOf(arn);
  if (parts?.service !== service || !parts.resource.startsWith(`${type}/`)) return undefined;
  return parts.resource.slice(type.length + 1) || undefined;
}

/** Every 12-digit account the call names in the fields that say whose resource it is, except `own`. */
function otherAccountsNamed(
  detail: z.infer<typeof envelopeSchema>['detail'],
  own: string,
): AccountReference[] {
  const request = detail.requestParameters ?? {};
  const named: AccountReference[] = [];
  const add = (field: string, account: unknown) => {
    if (typeof account === 'string' && ACCOUNT_ID.test(account) && account !== own) {
      if (!named.some((n) => n.account === account && n.field === field)) named.push({ field, account });
    }
  };
  add('recipientAccountId', detail.recipientAccountId);
  add('requestParameters.registryId', request.registryId);
  add('responseElements.registryId', stringAt(detail.responseElements, 'registryId'));
  add(
    'responseElements.repository.registryId',
    stringAt(detail.responseElements, 'repository', 'registryId'),
  );
  for (const key of ['resourceArn', 'resourceARN', 'projectArn', 'policyArn']) {
    add(`requestParameters.${key}`, partsOf(stringAt(request, key))?.accountId);
  }
  for (const [index, resource] of (detail.resources ?? []).entries()) {
    add(`resources[${index}].accountId`, resource.accountId);
    add(`resources[${index}].ARN`, partsOf(resource.ARN)?.accountId);
  }
  return named;
}

function targetOf(detail: z.infer<typeof envelopeSchema>['detail']): ChangeTarget | undefined {
  const request = detail.requestParameters ?? {};
  const response = detail.responseElements ?? {};
  if (detail.eventSource === 'ecr.amazonaws.com') {
    if (detail.eventName === 'PutRegistryScanningConfiguration') return { kind: 'registry' };
    const setting = REGISTRY_SETTING_EVENTS[detail.eventName];
    if (setting) {
      const prefix = stringAt(request, 'ecrRepositoryPrefix') ?? stringAt(request, 'prefix');
      return {
        kind: 'registry-setting',
        resource: setting,
        ...(prefix ? { prefix: normalPrefix(prefix) } : {}),
      };
    }
    const fromResources = detail.resources
      ?.map((r) => nameInArn(r.ARN, 'ecr', 'repository'))
      .find((name) => name !== undefined);
    const name =
      stringAt(request, 'repositoryName') ??
      // TagResource and UntagResource name the repository by ARN.
      nameInArn(stringAt(request, 'resourceArn') ?? stringAt(request, 'resourceARN'), 'ecr', 'repository') ??
      stringAt(response, 'repository', 'repositoryName') ??
      fromResources;
    return name ? { kind: 'repository', repositoryName: name } : undefined;
  }
  if (detail.eventSource === 'codebuild.amazonaws.com') {
    const name =
      stringAt(request, 'name') ??
      // UpdateProjectVisibility names the project by ARN.
      nameInArn(stringAt(request, 'projectArn'), 'codebuild', 'project') ??
      stringAt(response, 'project', 'name');
    return name ? { kind: 'project', projectName: name } : undefined;
  }
  if (POLICY_VERSION_EVENTS.includes(detail.eventName)) {
    const policyArn = stringAt(request, 'policyArn');
    return policyArn && nameInArn(policyArn, 'iam', 'policy') ? { kind: 'policy', policyArn } : undefined;
  }
  const name = stringAt(request, 'roleName');
  return name ? { kind: 'role', roleName: name } : undefined;
}

/**
 * Parses and validates an event; anything that does not fit throws InvalidInputError (drop, do not retry).
 * A failed call (errorCode) is valid without naming a resource: a denied IAM call carries
 * `requestParameters: null`, and the use case skips it before looking at its target.
 */
export function parseChangeEvent(raw: unknown): ChangeEvent {
  const result = envelopeSchema.safeParse(raw);
  if (!result.success) throw new InvalidInputError('change event', formatIssues(result.error));
  const event = result.data;
  const detail = event.detail;
  const known = CHANGE_EVENT_NAMES[detail.eventSource] as readonly string[];
  if (!known.includes(detail.eventName)) {
    throw new InvalidInputError('change event', [
      `detail.eventName: ${detail.eventName} is not a ${detail.eventSource} call buildwarden handles (${known.join(', ')})`,
    ]);
  }
  const target = targetOf(detail);
  if (!target && !detail.errorCode) {
    throw new InvalidInputError('change event', [
      `detail.requestParameters: ${detail.eventName} event does not name the ${detail.eventSource.split('.')[0]} resource it changed`,
    ]);
  }
  const identity = detail.userIdentity;
  const principalRoleArn = identity?.sessionContext?.sessionIssuer?.arn;
  const otherAccounts = otherAccountsNamed(detail, event.account);
  return {
    eventId: event.id,
    eventName: detail.eventName,
    eventSource: detail.eventSource,
    time: event.time,
    account: event.account,
    region: event.region,
    principal: identity?.arn ?? identity?.invokedBy ?? identity?.type ?? 'unknown',
    ...(principalRoleArn ? { principalRoleArn } : {}),
    ...(detail.errorCode ? { errorCode: detail.errorCode } : {}),
    ...(otherAccounts.length > 0 ? { otherAccounts } : {}),
    ...(target ? { target } : {}),
  };
}

/** The role name in a role ARN or an assumed-role session ARN. */
function roleNameOf(arn: string): string | undefined {
  return /:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1] ?? /:assumed-role\/([^/]+)\//.exec(arn)?.[1];
}

/**
 * Why an event must not be acted on, or undefined. In organization mode `memberRoleName` names the member
 * role the hub acts through in member accounts: a call made in its sessions (`assumed-role/<name>/…`) is
 * buildwarden's own too.
 */
export function skipReason(
  event: ChangeEvent,
  ownRoleArns: readonly string[],
  memberRoleName?: string,
): string | undefined {
  if (event.errorCode) return `the ${event.eventName} call failed (${event.errorCode}); nothing changed`;
  const ownNames = new Set(ownRoleArns.map(roleNameOf).filter((n): n is string => !!n));
  const callers = [event.principal, event.principalRoleArn].filter((a): a is string => !!a);
  if (callers.some((arn) => ownRoleArns.includes(arn) || ownNames.has(roleNameOf(arn) ?? ''))) {
    return "caused by buildwarden's own remediation role";
  }
  if (memberRoleName && callers.some((arn) => roleNameOf(arn) === memberRoleName)) {
    return `caused by buildwarden's member role ${memberRoleName} in account ${event.account}`;
  }
  return undefined;
}
