/**
 * CloudTrail change events delivered by EventBridge (`AWS API Call via CloudTrail`, `AWS Service Event via
 * CloudTrail`): which resource an event names. The event is a hint, not the truth — the use case re-reads
 * the resource and evaluates its current state.
 */
import * as z from 'zod';
import { InvalidInputError, formatIssues } from './validation';

export const CHANGE_DETAIL_TYPES = [
  'AWS API Call via CloudTrail',
  'AWS Service Event via CloudTrail',
] as const;

/** The API calls buildwarden reacts to, by event source. */
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
  ],
  'codebuild.amazonaws.com': ['CreateProject', 'UpdateProject'],
  'iam.amazonaws.com': [
    'PutRolePolicy',
    'DeleteRolePolicy',
    'AttachRolePolicy',
    'DetachRolePolicy',
    'UpdateAssumeRolePolicy',
    'PutRolePermissionsBoundary',
  ],
} as const;

export type ChangeTarget =
  | { kind: 'repository'; repositoryName: string }
  | { kind: 'registry' }
  | { kind: 'project'; projectName: string }
  | { kind: 'role'; roleName: string };

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
  target: ChangeTarget;
}

const nonEmpty = z.string().min(1);
const looseRecord = z.record(z.string(), z.unknown());

const envelopeSchema = z.looseObject({
  id: nonEmpty,
  'detail-type': z.enum(CHANGE_DETAIL_TYPES),
  source: nonEmpty,
  account: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id'),
  time: nonEmpty,
  region: nonEmpty,
  detail: z.looseObject({
    eventSource: z.enum(Object.keys(CHANGE_EVENT_NAMES) as [keyof typeof CHANGE_EVENT_NAMES]),
    eventName: nonEmpty,
    eventID: z.string().optional(),
    errorCode: z.string().optional(),
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
    resources: z.array(z.looseObject({ ARN: z.string().optional() })).optional(),
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

/** Parses and validates an event; anything that does not fit throws InvalidInputError (drop, do not retry). */
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
  const request = detail.requestParameters ?? {};
  const response = detail.responseElements ?? {};
  let target: ChangeTarget | undefined;
  if (detail.eventSource === 'ecr.amazonaws.com') {
    if (detail.eventName === 'PutRegistryScanningConfiguration') {
      target = { kind: 'registry' };
    } else {
      const fromArn = detail.resources?.map((r) => r.ARN).find((arn) => arn?.includes(':repository/'));
      const name =
        stringAt(request, 'repositoryName') ??
        stringAt(response, 'repository', 'repositoryName') ??
        fromArn?.slice(fromArn.indexOf(':repository/') + ':repository/'.length);
      if (name) target = { kind: 'repository', repositoryName: name };
    }
  } else if (detail.eventSource === 'codebuild.amazonaws.com') {
    const name = stringAt(request, 'name') ?? stringAt(response, 'project', 'name');
    if (name) target = { kind: 'project', projectName: name };
  } else {
    const name = stringAt(request, 'roleName');
    if (name) target = { kind: 'role', roleName: name };
  }
  if (!target) {
    throw new InvalidInputError('change event', [
      `detail.requestParameters: ${detail.eventName} event does not name the ${detail.eventSource.split('.')[0]} resource it changed`,
    ]);
  }
  const identity = detail.userIdentity;
  const principalRoleArn = identity?.sessionContext?.sessionIssuer?.arn;
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
    target,
  };
}

/** The role name in a role ARN or an assumed-role session ARN. */
function roleNameOf(arn: string): string | undefined {
  return /:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1] ?? /:assumed-role\/([^/]+)\//.exec(arn)?.[1];
}

/** Why an event must not be acted on, or undefined. */
export function skipReason(event: ChangeEvent, ownRoleArns: readonly string[]): string | undefined {
  if (event.errorCode) return `the ${event.eventName} call failed (${event.errorCode}); nothing changed`;
  const ownNames = new Set(ownRoleArns.map(roleNameOf).filter((n): n is string => !!n));
  const callers = [event.principal, event.principalRoleArn].filter((a): a is string => !!a);
  if (callers.some((arn) => ownRoleArns.includes(arn) || ownNames.has(roleNameOf(arn) ?? ''))) {
    return "caused by buildwarden's own remediation role";
  }
  return undefined;
}
