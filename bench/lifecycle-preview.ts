/**
 * How long a local lifecycle policy preview takes on a repository at the ECR image quota (100,000 images).
 * Images and policy are generated deterministically, so runs are comparable. `npx tsx bench/lifecycle-preview.ts`
 */
import { performance } from 'node:perf_hooks';
import type { ImageDetail } from '../lib/policy/model';
import type { LifecyclePolicy } from '../lib/policy/lifecycle/grammar';
import { validateLifecyclePolicy } from '../lib/policy/lifecycle/grammar';
import { simulateLifecyclePolicy } from '../lib/policy/lifecycle/simulate';

const IMAGES = 100_000;
const RUNS = 9;
const NOW = new Date('2025-06-01T00:00:00Z');
const DAY_MS = 86_400_000;

/** A realistic mix: release and prod tags kept by count, prod archived when unpulled, untagged expired by age. */
export const benchPolicy: LifecyclePolicy = mustBeValid({
  rules: [
    {
      rulePriority: 1,
      description: 'keep the last 100 releases',
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['release-*'],
        countType: 'imageCountMoreThan',
        countNumber: 100,
      },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      description: 'archive prod images not pulled for 90 days',
      selection: {
        tagStatus: 'tagged',
        tagPrefixList: ['prod'],
        countType: 'sinceImagePulled',
        countUnit: 'days',
        countNumber: 90,
      },
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
    {
      rulePriority: 3,
      description: 'expire untagged images after 14 days',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 4,
      description: 'keep at most 5000 images',
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5000 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 5,
      description: 'expire images archived for a year',
      selection: {
        tagStatus: 'any',
        storageClass: 'archive',
        countType: 'sinceImageTransitioned',
        countUnit: 'days',
        countNumber: 365,
      },
      action: { type: 'expire' },
    },
  ],
});

/** Deterministic images: a fixed-seed linear congruential generator drives tags, ages and storage class. */
export function generateImages(count: number, now: Date = NOW): ImageDetail[] {
  let seed = 0x2545f491;
  const next = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 0x1_0000_0000;
  };
  const images: ImageDetail[] = [];
  for (let i = 0; i < count; i++) {
    const pushedDaysAgo = next() * 730;
    const pushedAt = now.getTime() - pushedDaysAgo * DAY_MS;
    const kind = next();
    const imageTags =
      kind < 0.3
        ? []
        : kind < 0.5
          ? [`release-${i}`]
          : kind < 0.8
            ? [`prod-${i}`, `sha-${i.toString(16)}`]
            : [`dev-${i}`];
    const archived = next() < 0.1;
    const pulled = next() < 0.6 ? pushedAt + next() * (now.getTime() - pushedAt) : undefined;
    images.push({
      imageDigest: `sha256:${i.toString(16).padStart(64, '0')}`,
      imageTags,
      imagePushedAt: new Date(pushedAt).toISOString(),
      ...(pulled !== undefined ? { lastRecordedPullTime: new Date(pulled).toISOString() } : {}),
      imageStatus: archived ? 'ARCHIVED' : 'ACTIVE',
      ...(archived
        ? { lastArchivedAt: new Date(pushedAt + (now.getTime() - pushedAt) / 2).toISOString() }
        : {}),
    });
  }
  return images;
}

export async function benchLifecyclePreview(): Promise<{ images: number; medianMs: number; runs: number }> {
  const images = generateImages(IMAGES);
  simulateLifecyclePolicy(benchPolicy, images, NOW); // warm-up: JIT and regex caches
  const timings: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    simulateLifecyclePolicy(benchPolicy, images, NOW);
    timings.push(performance.now() - start);
    await new Promise((resolve) => setImmediate(resolve));
  }
  timings.sort((a, b) => a - b);
  const medianMs = Math.round(timings[Math.floor(timings.length / 2)]! * 100) / 100;
  return { images: images.length, medianMs, runs: RUNS };
}

function mustBeValid(value: unknown): LifecyclePolicy {
  const result = validateLifecyclePolicy(value);
  if (!result.ok) throw new Error(`bench policy is invalid:\n  ${result.errors.join('\n  ')}`);
  return result.policy;
}

if (require.main === module) {
  benchLifecyclePreview().then(
    (result) => console.log(JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
