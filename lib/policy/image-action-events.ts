/**
 * `ECR Image Action` with result SUCCESS (ECR User Guide, "Amazon ECR events and EventBridge"): action-type PUSH
 * → `ImagePushEvent`, DELETE → `ImageDeleteEvent`. A failed action is an InvalidInputError naming the field.
 */
import * as z from 'zod';
import { envelope, imageDigest, originOf, repositoryName, type EventOrigin } from './event-fields';
import { parseWith } from './validation';

const imageActionDetail = {
  result: z.literal('SUCCESS'),
  'repository-name': repositoryName,
  'image-digest': imageDigest,
  'image-tag': z.string().min(1).optional(),
  'manifest-media-type': z.string().optional(),
  'artifact-media-type': z.string().optional(),
};

const imagePushSchema = z.looseObject({
  ...envelope,
  'detail-type': z.literal('ECR Image Action'),
  source: z.literal('aws.ecr'),
  detail: z.looseObject({ 'action-type': z.literal('PUSH'), ...imageActionDetail }),
});

const imageActionSchema = z.looseObject({
  ...envelope,
  'detail-type': z.literal('ECR Image Action'),
  source: z.literal('aws.ecr'),
  detail: z.looseObject({ 'action-type': z.enum(['PUSH', 'DELETE']), ...imageActionDetail }),
});

export interface ImagePushEvent extends EventOrigin {
  action: 'PUSH';
  repositoryName: string;
  imageDigest: string;
  /** Absent for a push by digest only. */
  imageTag?: string;
}

/**
 * An image (or one of its tags: the event names the tag the delete request named) was deleted. ECR image
 * action events carry no registry: the image is in the event's account and region.
 */
export interface ImageDeleteEvent extends EventOrigin {
  action: 'DELETE';
  repositoryName: string;
  imageDigest: string;
  imageTag?: string;
}

function imageActionOf(e: z.infer<typeof imageActionSchema>): ImagePushEvent | ImageDeleteEvent {
  const d = e.detail;
  return {
    action: d['action-type'],
    repositoryName: d['repository-name'],
    imageDigest: d['image-digest'],
    ...(d['image-tag'] ? { imageTag: d['image-tag'] } : {}),
    ...originOf(e),
  };
}

/** Parses a successful `ECR Image Action` PUSH; a DELETE or a failed action is an InvalidInputError. */
export function parseImagePushEvent(event: unknown): ImagePushEvent {
  return imageActionOf(parseWith(imagePushSchema, event, 'ECR Image Action event')) as ImagePushEvent;
}

/** Parses a successful `ECR Image Action` PUSH or DELETE; a failed action is an InvalidInputError. */
export function parseImageActionEvent(event: unknown): ImagePushEvent | ImageDeleteEvent {
  return imageActionOf(parseWith(imageActionSchema, event, 'ECR Image Action event'));
}
