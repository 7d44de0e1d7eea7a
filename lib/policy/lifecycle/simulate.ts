/**
 * A local lifecycle policy preview: which images a policy would expire, transition to archive, or keep at `now`,
 * following the ECR user guide's "Lifecycle policy evaluation rules" and its worked examples:
 *
 * - Rules apply in rulePriority order, lowest number first. Each image is acted on by at most one rule.
 * - A rule *identifies* every image of its storage class that meets its tag selection, including images a
 *   higher-priority rule already identified ("can still identify them as if they haven't been expired"), and
 *   counts them all when it applies imageCountMoreThan.
 * - A rule may only *mark* images that no higher-priority rule identified: "an image that matches the tagging
 *   requirements of a rule cannot be expired or archived by a rule with a lower priority" — even when that rule
 *   left it alone because its count or age was not exceeded.
 * - Storage classes are separate worlds: standard-class rules see only ACTIVE images, archive-class rules
 *   (sinceImageTransitioned) only ARCHIVED ones; ACTIVATING images (being restored) are subject to neither.
 *
 * Not modelled: manifest lists (an image referenced by one is not expired while the list exists) and reference
 * artifacts, since ImageDetail does not carry those relationships.
 */
import type { ImageDetail } from '../model';
import { compileWildcard } from '../wildcard';
import type { CountType, LifecyclePolicy, LifecycleRule } from './grammar';
import { ruleStorageClass } from './grammar';

export type LifecycleDecision = 'expire' | 'transition' | 'keep';

export interface LifecycleImageResult {
  imageDigest: string;
  imageTags: string[];
  action: LifecycleDecision;
  /** The rule that acts on the image; null when it is kept. */
  rulePriority: number | null;
}

export interface LifecycleSimulation {
  /** One entry per input image, in input order. */
  results: LifecycleImageResult[];
  summary: { expire: number; transition: number; keep: number };
}

const DAY_MS = 86_400_000;
const KEEP = 0;
const EXPIRE = 1;
const TRANSITION = 2;
const DECISIONS: readonly LifecycleDecision[] = ['keep', 'expire', 'transition'];
const NO_CLASS = 0;
const STANDARD = 1;
const ARCHIVE = 2;

export function simulateLifecyclePolicy(
  policy: LifecyclePolicy,
  images: readonly ImageDetail[],
  now: Date,
): LifecycleSimulation {
  const n = images.length;
  const nowMs = now.getTime();
  const tags = images.map((image) => image.imageTags ?? []);
  const storage = new Uint8Array(n);
  for (let i = 0; i < n; i++) storage[i] = imageStorageClass(images[i]!);

  const times = new ImageTimes(images);
  const decision = new Uint8Array(n);
  const decidedBy = new Float64Array(n);
  // True once a higher-priority rule of the image's storage class has identified the image.
  const identified = new Uint8Array(n);

  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  for (const rule of rules) {
    const cls = ruleStorageClass(rule) === 'archive' ? ARCHIVE : STANDARD;
    const matches = tagMatcher(rule);
    const matched: number[] = [];
    for (let i = 0; i < n; i++) if (storage[i] === cls && matches(tags[i]!)) matched.push(i);

    const act = rule.action.type === 'transition' ? TRANSITION : EXPIRE;
    for (const i of candidates(rule, matched, images, times, nowMs)) {
      if (identified[i] === 0) {
        decision[i] = act;
        decidedBy[i] = rule.rulePriority;
      }
    }
    for (const i of matched) identified[i] = 1;
  }

  const summary = { expire: 0, transition: 0, keep: 0 };
  const results: LifecycleImageResult[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const action = DECISIONS[decision[i]!]!;
    summary[action] += 1;
    results[i] = {
      imageDigest: images[i]!.imageDigest,
      imageTags: [...tags[i]!],
      action,
      rulePriority: decision[i] === KEEP ? null : decidedBy[i]!,
    };
  }
  return { results, summary };
}

/** When an image crosses the age threshold of one of the policy's time-based rules. */
export interface ThresholdCrossing {
  /** The image's index in the input. */
  image: number;
  rulePriority: number;
  countType: Exclude<CountType, 'imageCountMoreThan'>;
  countNumber: number;
  /** The instant (epoch ms) after which the rule selects the image by age. */
  crossesAtMs: number;
}

/**
 * Every crossing of a time-based rule's threshold (`sinceImagePushed`, `sinceImagePulled`,
 * `sinceImageTransitioned`) by an image that rule selects (storage class and tags), falling within
 * [fromMs, toMs]. Whoever evaluates the policy at an instant in that window may find the image on either side of
 * the threshold: a decision on it depends on the exact evaluation time.
 */
export function thresholdCrossings(
  policy: LifecyclePolicy,
  images: readonly ImageDetail[],
  fromMs: number,
  toMs: number,
): ThresholdCrossing[] {
  const times = new ImageTimes(images);
  const crossings: ThresholdCrossing[] = [];
  for (const rule of policy.rules) {
    const { countType, countNumber } = rule.selection;
    if (countType === 'imageCountMoreThan') continue;
    const cls = ruleStorageClass(rule) === 'archive' ? ARCHIVE : STANDARD;
    const matches = tagMatcher(rule);
    const reference = ageReference(times, countType);
    for (let i = 0; i < images.length; i++) {
      const image = images[i]!;
      if (imageStorageClass(image) !== cls || !matches(image.imageTags ?? [])) continue;
      const crossesAtMs = reference[i]! + countNumber * DAY_MS;
      if (crossesAtMs >= fromMs && crossesAtMs <= toMs) {
        crossings.push({ image: i, rulePriority: rule.rulePriority, countType, countNumber, crossesAtMs });
      }
    }
  }
  return crossings;
}

/** The time each image's age counts from under an age rule: its push, its last use, or its archiving. */
function ageReference(
  times: ImageTimes,
  countType: Exclude<LifecycleRule['selection']['countType'], 'imageCountMoreThan'>,
): ImageTimes['pushed'] {
  return countType === 'sinceImagePushed'
    ? times.pushed
    : countType === 'sinceImagePulled'
      ? times.lastUsed
      : times.archived;
}

/** The images a rule would act on if no higher-priority rule had identified them, among those it matched. */
function candidates(
  rule: LifecycleRule,
  matched: number[],
  images: readonly ImageDetail[],
  times: ImageTimes,
  nowMs: number,
): number[] {
  const { countType, countNumber } = rule.selection;
  if (countType === 'imageCountMoreThan') {
    if (matched.length <= countNumber) return [];
    // Oldest first; the newest countNumber stay. Equal times are ordered by digest (see compareDigests).
    const order = times.countOrder;
    matched.sort(
      (a, b) => order[a]! - order[b]! || compareDigests(images[a]!.imageDigest, images[b]!.imageDigest),
    );
    return matched.slice(0, matched.length - countNumber);
  }
  const reference = ageReference(times, countType);
  const limit = countNumber * DAY_MS;
  // "Older than" the limit: an image exactly countNumber days old is not yet selected. Unknown times never are.
  return matched.filter((i) => nowMs - reference[i]! > limit);
}

/**
 * Tie-break for imageCountMoreThan when push times are equal: the image with the smaller digest counts as the
 * older one and is acted on first. Any fixed order would do; digest order is stable across listings.
 */
function compareDigests(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function tagMatcher(rule: LifecycleRule): (tags: readonly string[]) => boolean {
  const { tagStatus, tagPatternList, tagPrefixList } = rule.selection;
  if (tagStatus === 'any') return () => true;
  if (tagStatus === 'untagged') return (tags) => tags.length === 0;
  // Every listed prefix/pattern must match at least one of the image's tags (AND across the list).
  if (tagPrefixList) {
    return (tags) => tagPrefixList.every((prefix) => tags.some((tag) => tag.startsWith(prefix)));
  }
  const patterns = (tagPatternList ?? []).map((p) => compileWildcard(p));
  return (tags) => tags.length > 0 && patterns.every((glob) => tags.some((tag) => glob.test(tag)));
}

function imageStorageClass(image: ImageDetail): number {
  const status = (image.imageStatus ?? 'ACTIVE').toUpperCase();
  if (status === 'ACTIVE') return STANDARD;
  if (status === 'ARCHIVED') return ARCHIVE;
  return NO_CLASS;
}

/** Epoch-millisecond times per image, parsed once. NaN when absent. */
class ImageTimes {
  readonly pushed: Float64Array;
  /** sinceImagePulled's reference: last pull, else push, but the restore time if not pulled since restoring. */
  readonly lastUsed: Float64Array;
  readonly archived: Float64Array;
  /** imageCountMoreThan's age order: push time, or the restore time for a restored image; unknown = newest. */
  readonly countOrder: Float64Array;

  constructor(images: readonly ImageDetail[]) {
    const n = images.length;
    this.pushed = new Float64Array(n);
    this.lastUsed = new Float64Array(n);
    this.archived = new Float64Array(n);
    this.countOrder = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const image = images[i]!;
      const pushed = parseTime(image.imagePushedAt);
      const pulled = parseTime(image.lastRecordedPullTime);
      const activated = parseTime(image.lastActivatedAt);
      this.pushed[i] = pushed;
      this.archived[i] = parseTime(image.lastArchivedAt);
      const restoredSincePull = !Number.isNaN(activated) && (Number.isNaN(pulled) || pulled < activated);
      this.lastUsed[i] = restoredSincePull ? activated : Number.isNaN(pulled) ? pushed : pulled;
      const ordered = Number.isNaN(activated) ? pushed : activated;
      this.countOrder[i] = Number.isNaN(ordered) ? Number.POSITIVE_INFINITY : ordered;
    }
  }
}

const ZONELESS_DATE_TIME = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** ISO 8601 → epoch ms. A date-time without an offset is read as UTC, never as the host's local time. */
function parseTime(value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  return Date.parse(ZONELESS_DATE_TIME.test(value) ? `${value}Z` : value);
}
