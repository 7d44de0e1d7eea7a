/**
 * The fields every EventBridge event parser here checks: the envelope (EventBridge User Guide, "Amazon
 * EventBridge events") and the AWS identifiers events carry, each with the grammar of lib/policy/aws-facts.ts.
 * A failure names the JSON path of the offending field.
 */
import * as z from 'zod';
import { ACCOUNT_ID, REGION, REPOSITORY_NAME } from './aws-facts';

export const accountId = z.string().regex(ACCOUNT_ID, 'expected a 12-digit AWS account id');
export const region = z.string().regex(REGION, 'expected an AWS region such as us-east-1');

/** The ECR API's RepositoryName pattern and 2–256 length bounds (botocore ecr 2015-09-21). */
export const repositoryName = z.string().regex(REPOSITORY_NAME, 'expected an ECR repository name');
/**
 * `algorithm:encoded`. Not pinned to 64 hex digits: the documented samples themselves carry shortened or
 * `…EXAMPLE` digests, and the digest is only ever echoed back, never computed with.
 */
export const imageDigest = z
  .string()
  .regex(/^[A-Za-z0-9_+.-]+:\S+$/, 'expected an image digest such as sha256:…');

/** The EventBridge envelope fields every event here carries. */
export const envelope = {
  version: z.string().optional(),
  id: z.string().min(1),
  account: accountId,
  time: z.iso.datetime({ offset: true }),
  region,
  resources: z.array(z.string()).default([]),
};

export interface EventOrigin {
  account: string;
  region: string;
  eventId: string;
  /** EventBridge `time` (ISO 8601). */
  time: string;
}

export function originOf(e: { id: string; account: string; region: string; time: string }): EventOrigin {
  return { account: e.account, region: e.region, eventId: e.id, time: e.time };
}
