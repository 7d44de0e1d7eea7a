/**
 * Our lifecycle simulator against ECR's own preview (StartLifecyclePolicyPreview / GetLifecyclePolicyPreview) of
 * the same policy on the same repository: both results joined by image digest, every difference named.
 *
 * ECR's preview lists the images its policy acts on (`previewResults`: digest, tags, `action.type` EXPIRE or
 * TRANSITION, `appliedRulePriority`); an image it does not list is kept. A difference is an image one side
 * expires or transitions and the other keeps, a different action, a different rule priority, or an image ECR
 * acts on that was not among the images we read. Nothing is assumed equal that was not seen to be: an action
 * word ECR uses that we do not know never equals ours.
 *
 * Timing: ECR evaluates at its own time, somewhere between the preview's start and its completion; our
 * simulation evaluates at the start. An image whose age crosses a rule's threshold within a minute of that
 * window may be judged on either side of it, and its row says so.
 */
import type { ImageDetail } from '../model';
import type { LifecyclePolicy } from './grammar';
import { thresholdCrossings, type LifecycleSimulation } from './simulate';

/** One image ECR's preview acts on, in our words. */
export interface EcrPreviewResult {
  imageDigest: string;
  imageTags: string[];
  imagePushedAt?: string;
  /** EXPIRE → `expire`, TRANSITION → `transition`; any other word is kept as ECR sent it (lower case). */
  action: string;
  /** `appliedRulePriority`; null when ECR did not say. */
  rulePriority: number | null;
  /** The image's storage class (STANDARD, ARCHIVE) and the action's target, when ECR says. */
  storageClass?: string;
  targetStorageClass?: string;
}

/** ECR's completed preview of one policy on one repository, every page. */
export interface EcrLifecyclePreview {
  repositoryName: string;
  results: EcrPreviewResult[];
  /** ECR's own counts (`summary`): expiring images, and transitioning images per target storage class. */
  summary: { expiringImageTotalCount?: number; transitioningImageTotalCounts?: Record<string, number> };
  /** When the preview was started (ISO 8601): our simulation evaluates at this instant. */
  startedAt: string;
  /** When the preview was seen complete (ISO 8601). */
  completedAt: string;
}

/**
 * One side's decision on an image: a LifecycleDecision (`expire`, `transition`, `keep`); on our side `not-read`
 * when the image was not among the images we read; on ECR's side an action word we do not know, or
 * `listed-twice`.
 */
export interface ComparedDecision {
  action: string;
  rulePriority: number | null;
}

export interface ComparedImage {
  imageDigest: string;
  imageTags: string[];
  ours: ComparedDecision;
  aws: ComparedDecision;
  different: boolean;
  /** Why a row may not mean what it seems: a threshold crossed near the evaluation time, an image not read. */
  notes: string[];
}

export interface LifecycleComparison {
  repositoryName: string;
  /** True when no image differs. */
  equal: boolean;
  /** The instant our simulation evaluated at: when ECR's preview started. */
  evaluatedAt: string;
  previewCompletedAt: string;
  /** Every image at least one side acts on, in the order we read them, then those only ECR listed. */
  images: ComparedImage[];
  summary: {
    /** Images we read. */
    imagesRead: number;
    /** Rows: images at least one side acts on. */
    compared: number;
    same: number;
    different: number;
    /** Images both sides keep (not listed in `images`). */
    keptByBoth: number;
    ours: { expire: number; transition: number; keep: number };
    aws: { expire: number; transition: number; keep: number; other: number; notRead: number };
    /** ECR's own summary, as it sent it. */
    awsReported: EcrLifecyclePreview['summary'];
  };
}

/** How near a threshold crossing must be to the evaluation window to count as timing. */
export const TIMING_MARGIN_MS = 60_000;

const KEEP: ComparedDecision = { action: 'keep', rulePriority: null };

export function compareLifecyclePreviews(input: {
  policy: LifecyclePolicy;
  images: readonly ImageDetail[];
  ours: LifecycleSimulation;
  aws: EcrLifecyclePreview;
}): LifecycleComparison {
  const { policy, images, ours, aws } = input;
  const fromMs = Date.parse(aws.startedAt) - TIMING_MARGIN_MS;
  const toMs = Date.parse(aws.completedAt) + TIMING_MARGIN_MS;

  const awsByDigest = new Map<string, ComparedDecision & { tags: string[]; notes: string[] }>();
  for (const result of aws.results) {
    const decision = { action: result.action, rulePriority: result.rulePriority };
    const seen = awsByDigest.get(result.imageDigest);
    if (seen === undefined) {
      awsByDigest.set(result.imageDigest, { ...decision, tags: result.imageTags, notes: [] });
    } else if (!sameDecision(seen, decision)) {
      // Listed twice with different decisions: which one ECR means cannot be told.
      seen.notes.push(
        `ECR listed this image twice: ${describeDecision(seen)} and ${describeDecision(decision)}; counted as neither`,
      );
      seen.action = 'listed-twice';
      seen.rulePriority = null;
    }
  }

  const timing = new Map<number, string[]>();
  for (const crossing of thresholdCrossings(policy, images, fromMs, toMs)) {
    const notes = timing.get(crossing.image) ?? [];
    notes.push(
      `within a minute of rule ${crossing.rulePriority}'s threshold (${crossing.countType} > ${crossing.countNumber} days, crossed at ${new Date(crossing.crossesAtMs).toISOString()}): a difference may be timing`,
    );
    timing.set(crossing.image, notes);
  }

  const rows: ComparedImage[] = [];
  const read = new Set<string>();
  let keptByBoth = 0;
  const awsCounts = { expire: 0, transition: 0, keep: 0, other: 0, notRead: 0 };
  ours.results.forEach((result, i) => {
    read.add(result.imageDigest);
    const mine: ComparedDecision = { action: result.action, rulePriority: result.rulePriority };
    const listed = awsByDigest.get(result.imageDigest);
    const theirs: ComparedDecision = listed
      ? { action: listed.action, rulePriority: listed.rulePriority }
      : KEEP;
    count(awsCounts, theirs.action);
    if (mine.action === 'keep' && !listed) {
      keptByBoth += 1;
      return;
    }
    rows.push({
      imageDigest: result.imageDigest,
      imageTags: result.imageTags,
      ours: mine,
      aws: theirs,
      different: !sameDecision(mine, theirs),
      notes: [...(listed?.notes ?? []), ...(timing.get(i) ?? [])],
    });
  });
  for (const [digest, listed] of awsByDigest) {
    if (read.has(digest)) continue;
    awsCounts.notRead += 1;
    rows.push({
      imageDigest: digest,
      imageTags: listed.tags,
      ours: { action: 'not-read', rulePriority: null },
      aws: { action: listed.action, rulePriority: listed.rulePriority },
      different: true,
      notes: [
        ...listed.notes,
        'not among the images read before the preview (pushed meanwhile, or not returned by DescribeImages)',
      ],
    });
  }

  const different = rows.filter((row) => row.different).length;
  return {
    repositoryName: aws.repositoryName,
    equal: different === 0,
    evaluatedAt: aws.startedAt,
    previewCompletedAt: aws.completedAt,
    images: rows,
    summary: {
      imagesRead: ours.results.length,
      compared: rows.length,
      same: rows.length - different,
      different,
      keptByBoth,
      ours: { ...ours.summary },
      aws: awsCounts,
      awsReported: aws.summary,
    },
  };
}

function sameDecision(a: ComparedDecision, b: ComparedDecision): boolean {
  if (a.action !== b.action) return false;
  if (a.action === 'keep') return true;
  // Known actions only: an action word we do not know never counts as agreeing.
  return (a.action === 'expire' || a.action === 'transition') && a.rulePriority === b.rulePriority;
}

function count(counts: LifecycleComparison['summary']['aws'], action: string): void {
  if (action === 'expire' || action === 'transition' || action === 'keep') counts[action] += 1;
  else counts.other += 1;
}

/** `expire (rule 2)`, `keep`, `not-read`. */
export function describeDecision(decision: ComparedDecision): string {
  return decision.rulePriority === null
    ? decision.action
    : `${decision.action} (rule ${decision.rulePriority})`;
}
