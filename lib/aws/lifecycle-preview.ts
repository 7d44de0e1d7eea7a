/**
 * ECR's own lifecycle policy preview: StartLifecyclePolicyPreview with the policy text, then
 * GetLifecyclePolicyPreview until the status is no longer IN_PROGRESS (COMPLETE, FAILED or EXPIRED), then every
 * page of the results. ECR runs one preview per repository at a time (LifecyclePolicyPreviewInProgressException
 * "The previous lifecycle policy preview request has not completed. Wait and try again."): a preview already
 * running is waited for, then ours is started. The whole wait is bounded by the caller's timeout; polls back
 * off from one second to ten. The clock and the sleep are injectable, so tests never wait.
 */
import {
  GetLifecyclePolicyPreviewCommand,
  StartLifecyclePolicyPreviewCommand,
  type ECRClient,
  type GetLifecyclePolicyPreviewCommandOutput,
  type LifecyclePolicyPreviewResult,
} from '@aws-sdk/client-ecr';
import { describeFailure } from '../errors';
import { LIFECYCLE_PREVIEW_PAGE_MAX } from '../policy/aws-facts';
import type { EcrLifecyclePreview, EcrPreviewResult } from '../policy/lifecycle/compare';
import {
  LifecyclePreviewFailedError,
  type LifecyclePreviewer,
  type LifecyclePreviewProgress,
} from '../ports';
import { ecrClient } from './clients';
import { compact, isAwsError, iso } from './common';
import { translateAwsError } from './errors';

export const lifecyclePreviewActions = [
  'ecr:StartLifecyclePolicyPreview',
  'ecr:GetLifecyclePolicyPreview',
] as const;

export interface PreviewWaitOptions {
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
  /** Waits between polls; tests inject a fake. */
  sleep?: (ms: number) => Promise<void>;
  /** First wait between polls, doubled after each poll up to `maxPollIntervalMs`. Default 1,000. */
  pollIntervalMs?: number;
  /** Default 10,000. */
  maxPollIntervalMs?: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Page = GetLifecyclePolicyPreviewCommandOutput;
type Report = (phase: LifecyclePreviewProgress['phase'], results?: number) => void;

export class EcrLifecyclePreviewer implements LifecyclePreviewer {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;

  constructor(
    private readonly client: ECRClient = ecrClient(),
    options: PreviewWaitOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 10_000;
  }

  async preview(
    repositoryName: string,
    lifecyclePolicyText: string,
    options: { timeoutMs: number; onProgress?: (progress: LifecyclePreviewProgress) => void },
  ): Promise<EcrLifecyclePreview> {
    const began = this.now();
    const deadline = began + options.timeoutMs;
    const report: Report = (phase, results) =>
      options.onProgress?.({
        phase,
        repositoryName,
        elapsedMs: this.now() - began,
        ...(results === undefined ? {} : { results }),
      });
    const seconds = () => Math.round((this.now() - began) / 1000);

    const startedAt = await this.start(repositoryName, lifecyclePolicyText, deadline, report, seconds);
    report('started');
    let page = await this.untilSettled(repositoryName, deadline, 'in-progress', report);
    if (page === undefined) {
      throw new LifecyclePreviewFailedError(
        `ECR lost the lifecycle policy preview of repository ${repositoryName} just started`,
        'GetLifecyclePolicyPreview: LifecyclePolicyPreviewNotFoundException',
      );
    }
    if (page.status === 'IN_PROGRESS') {
      throw new LifecyclePreviewFailedError(
        `ECR's lifecycle policy preview of repository ${repositoryName} did not complete within ${seconds()} s; ` +
          'run again with a longer --timeout',
        `status IN_PROGRESS after ${seconds()} s`,
      );
    }
    this.checkComplete(repositoryName, page);
    if (!samePolicyText(page.lifecyclePolicyText, lifecyclePolicyText)) {
      // Another caller started a preview of another policy on the repository meanwhile: not ours to compare.
      throw new LifecyclePreviewFailedError(
        `the preview ECR returned for repository ${repositoryName} is not of the policy sent ` +
          '(another preview was started on the repository meanwhile); run again',
        'GetLifecyclePolicyPreview returned another lifecyclePolicyText',
      );
    }
    const completedAt = this.now();
    const results = (page.previewResults ?? []).map(toPreviewResult);
    const summary = page.summary;
    while (page.nextToken) {
      page = await this.client
        .send(
          new GetLifecyclePolicyPreviewCommand({
            repositoryName,
            maxResults: LIFECYCLE_PREVIEW_PAGE_MAX,
            nextToken: page.nextToken,
          }),
        )
        .catch(failedGet(repositoryName));
      this.checkComplete(repositoryName, page);
      results.push(...(page.previewResults ?? []).map(toPreviewResult));
    }
    report('complete', results.length);
    return {
      repositoryName,
      results,
      summary: compact({
        expiringImageTotalCount: summary?.expiringImageTotalCount,
        transitioningImageTotalCounts: summary?.transitioningImageTotalCounts
          ? Object.fromEntries(
              summary.transitioningImageTotalCounts.map((c) => [
                c.targetStorageClass ?? 'UNKNOWN',
                c.imageTotalCount ?? 0,
              ]),
            )
          : undefined,
      }),
      startedAt: new Date(startedAt).toISOString(),
      completedAt: new Date(completedAt).toISOString(),
    };
  }

  /** Starts the preview, waiting for one already running to end first. Returns when it was started. */
  private async start(
    repositoryName: string,
    lifecyclePolicyText: string,
    deadline: number,
    report: Report,
    seconds: () => number,
  ): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const at = this.now();
      try {
        await this.client.send(
          new StartLifecyclePolicyPreviewCommand({ repositoryName, lifecyclePolicyText }),
        );
        return at;
      } catch (error) {
        if (!isAwsError(error, 'LifecyclePolicyPreviewInProgressException')) {
          throw startFailure(repositoryName, error);
        }
      }
      const busy = () =>
        new LifecyclePreviewFailedError(
          `another lifecycle policy preview is still running on repository ${repositoryName} after ${seconds()} s; ` +
            'run again later or with a longer --timeout',
          `StartLifecyclePolicyPreview: LifecyclePolicyPreviewInProgressException after ${seconds()} s`,
        );
      if (this.now() >= deadline) throw busy();
      report('queued');
      // The running preview was seen ended, yet ECR still refuses: give it a moment before asking again.
      if (attempt > 0) await this.sleep(Math.min(this.pollIntervalMs, deadline - this.now()));
      const running = await this.untilSettled(repositoryName, deadline, 'queued', report);
      if (running?.status === 'IN_PROGRESS') throw busy();
    }
  }

  /**
   * Polls the repository's preview until it is no longer IN_PROGRESS or the deadline has passed (then the last
   * page, still IN_PROGRESS, is returned). Undefined when the repository has no preview at all.
   */
  private async untilSettled(
    repositoryName: string,
    deadline: number,
    phase: 'queued' | 'in-progress',
    report: Report,
  ): Promise<Page | undefined> {
    let delay = this.pollIntervalMs;
    for (;;) {
      let page: Page;
      try {
        page = await this.client.send(
          new GetLifecyclePolicyPreviewCommand({ repositoryName, maxResults: LIFECYCLE_PREVIEW_PAGE_MAX }),
        );
      } catch (error) {
        if (isAwsError(error, 'LifecyclePolicyPreviewNotFoundException')) return undefined;
        throw failedGet(repositoryName)(error);
      }
      if (page.status !== 'IN_PROGRESS') return page;
      const left = deadline - this.now();
      if (left <= 0) return page;
      report(phase);
      await this.sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, this.maxPollIntervalMs);
    }
  }

  private checkComplete(repositoryName: string, page: Page): void {
    if (page.status === 'COMPLETE') return;
    throw new LifecyclePreviewFailedError(
      `ECR's lifecycle policy preview of repository ${repositoryName} ended ${page.status ?? 'without a status'}`,
      `status ${page.status ?? 'absent'}`,
    );
  }
}

function toPreviewResult(result: LifecyclePolicyPreviewResult): EcrPreviewResult {
  return compact({
    imageDigest: result.imageDigest ?? '',
    imageTags: result.imageTags ?? [],
    imagePushedAt: iso(result.imagePushedAt),
    // ECR's action word in our vocabulary; an absent one is kept as `none` (it never equals a decision of ours).
    action: result.action?.type ? result.action.type.toLowerCase() : 'none',
    rulePriority: result.appliedRulePriority ?? null,
    storageClass: result.storageClass,
    targetStorageClass: result.action?.targetStorageClass,
  }) as EcrPreviewResult;
}

/** The same policy when both texts are JSON of equal value (ECR may return the text reformatted). */
function samePolicyText(returned: string | undefined, sent: string): boolean {
  if (returned === undefined) return false;
  if (returned === sent) return true;
  try {
    return canonical(JSON.parse(returned)) === canonical(JSON.parse(sent));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** ECR refused the policy text (InvalidParameterException, ValidationException): a preview cannot be had. */
function startFailure(repositoryName: string, error: unknown): unknown {
  if (isAwsError(error, 'InvalidParameterException', 'ValidationException')) {
    return new LifecyclePreviewFailedError(
      `ECR refused to preview this lifecycle policy on repository ${repositoryName}`,
      `StartLifecyclePolicyPreview: ${describeFailure(error)}`,
      { cause: error },
    );
  }
  return translateAwsError(error);
}

function failedGet(repositoryName: string) {
  return (error: unknown): never => {
    if (isAwsError(error, 'LifecyclePolicyPreviewNotFoundException')) {
      throw new LifecyclePreviewFailedError(
        `ECR no longer has the lifecycle policy preview of repository ${repositoryName}`,
        `GetLifecyclePolicyPreview: ${describeFailure(error)}`,
        { cause: error },
      );
    }
    throw translateAwsError(error);
  };
}
