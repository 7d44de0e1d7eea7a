/**
 * The grammar of ECR lifecycle policy text, as the ECR user guide ("Lifecycle policy properties", "Examples of
 * lifecycle policies", "Lifecycle policy evaluation rules") and the PutLifecyclePolicy API contract
 * (lifecyclePolicyText: 100–30720 characters) define it. Structure is checked by one zod schema; the rules that
 * relate fields to each other, or rules to each other, are checked afterwards on the raw value so that one bad
 * field does not hide the others. Every message names the rule by its priority: `rules[priority=2].selection…`.
 */
import * as z from 'zod';
import { lazy } from '../lazy';
import { jsonNestingProblem } from '../nesting';

export const TAG_STATUSES = ['tagged', 'untagged', 'any'] as const;
export type TagStatus = (typeof TAG_STATUSES)[number];
export const COUNT_TYPES = [
  'imageCountMoreThan',
  'sinceImagePushed',
  'sinceImagePulled',
  'sinceImageTransitioned',
] as const;
export type CountType = (typeof COUNT_TYPES)[number];
export const STORAGE_CLASSES = ['standard', 'archive'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];
export const ACTION_TYPES = ['expire', 'transition'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** PutLifecyclePolicy lifecyclePolicyText constraints (botocore LifecyclePolicyText: min 100, max 30720). */
export const LIFECYCLE_POLICY_TEXT_MIN_LENGTH = 100;
export const LIFECYCLE_POLICY_TEXT_MAX_LENGTH = 30720;
/** "There is a maximum limit of four wildcards (*) per string." */
export const MAX_WILDCARDS_PER_PATTERN = 4;
/** Archived images must stay archived at least 90 days before a lifecycle rule may expire them. */
export const MIN_DAYS_IN_ARCHIVE_BEFORE_EXPIRY = 90;

const SINCE_COUNT_TYPES: readonly CountType[] = [
  'sinceImagePushed',
  'sinceImagePulled',
  'sinceImageTransitioned',
];

const requiredOr = (expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'required' : `expected ${expected}`;
const positiveInt = lazy(() =>
  z
    .number({ error: requiredOr('a positive integer') })
    .int('expected a positive integer')
    .positive('expected a positive integer (0 is not accepted)'),
);
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: requiredOr(`one of ${values.join(' | ')}`) });
const tagList = lazy(() =>
  z
    .array(z.string().min(1, 'expected a non-empty string'), { error: requiredOr('a list of strings') })
    .min(1, 'expected at least one entry'),
);

export const lifecycleSelectionSchema = lazy(() =>
  z.strictObject({
    tagStatus: oneOf(TAG_STATUSES),
    tagPatternList: tagList().optional(),
    tagPrefixList: tagList().optional(),
    storageClass: oneOf(STORAGE_CLASSES).optional(),
    countType: oneOf(COUNT_TYPES),
    countUnit: z.literal('days', { error: requiredOr('"days" (the only supported unit)') }).optional(),
    countNumber: positiveInt(),
  }),
);

export const lifecycleActionSchema = lazy(() =>
  z.strictObject({
    type: oneOf(ACTION_TYPES),
    targetStorageClass: z
      .literal('archive', { error: requiredOr('"archive" (the only supported value)') })
      .optional(),
  }),
);

export const lifecycleRuleSchema = lazy(() =>
  z.strictObject({
    rulePriority: positiveInt(),
    description: z.string({ error: 'expected a string' }).optional(),
    selection: lifecycleSelectionSchema(),
    action: lifecycleActionSchema(),
  }),
);

export const lifecyclePolicySchema = lazy(() =>
  z.strictObject({
    rules: z
      .array(lifecycleRuleSchema(), { error: requiredOr('a list of rules') })
      .min(1, 'at least one rule is required'),
  }),
);

export type LifecyclePolicy = z.infer<ReturnType<typeof lifecyclePolicySchema>>;
export type LifecycleRule = LifecyclePolicy['rules'][number];
export type LifecycleSelection = LifecycleRule['selection'];
export type LifecycleAction = LifecycleRule['action'];

export type LifecyclePolicyValidation =
  { ok: true; policy: LifecyclePolicy } | { ok: false; errors: string[] };

/** Parses and validates lifecycle policy text exactly as it would be sent to PutLifecyclePolicy. */
export function parseLifecyclePolicy(text: string): LifecyclePolicyValidation {
  const lengthErrors = textLengthErrors(text);
  const tooDeep = jsonNestingProblem(text);
  if (tooDeep) return { ok: false, errors: [...lengthErrors, `lifecyclePolicyText: ${tooDeep}`] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      errors: [...lengthErrors, `lifecyclePolicyText: not valid JSON (${(error as Error).message})`],
    };
  }
  const result = validateStructureAndSemantics(raw);
  const errors = [...lengthErrors, ...(result.ok ? [] : result.errors)];
  return errors.length > 0 || !result.ok ? { ok: false, errors } : result;
}

/**
 * Validates an already-parsed policy document. Its length limit is checked on the text
 * `serializeLifecyclePolicy` would produce for it.
 */
export function validateLifecyclePolicy(value: unknown): LifecyclePolicyValidation {
  const result = validateStructureAndSemantics(value);
  if (!result.ok) return result;
  const lengthErrors = textLengthErrors(serializeLifecyclePolicy(result.policy));
  return lengthErrors.length > 0 ? { ok: false, errors: lengthErrors } : result;
}

/**
 * Canonical compact JSON: rules ordered by rulePriority (as ECR returns them) and keys in the order of the user
 * guide's template, so that serializing a policy read from GetLifecyclePolicy reproduces its text.
 */
export function serializeLifecyclePolicy(policy: LifecyclePolicy): string {
  const rules = [...policy.rules]
    .sort((a, b) => a.rulePriority - b.rulePriority)
    .map((rule) => ({
      rulePriority: rule.rulePriority,
      description: rule.description,
      selection: {
        tagStatus: rule.selection.tagStatus,
        tagPatternList: rule.selection.tagPatternList,
        tagPrefixList: rule.selection.tagPrefixList,
        storageClass: rule.selection.storageClass,
        countType: rule.selection.countType,
        countUnit: rule.selection.countUnit,
        countNumber: rule.selection.countNumber,
      },
      action: { type: rule.action.type, targetStorageClass: rule.action.targetStorageClass },
    }));
  // JSON.stringify drops undefined members, so optional fields that are absent stay absent.
  return JSON.stringify({ rules });
}

/** The storage class a rule selects: `standard` unless it says otherwise. */
export function ruleStorageClass(rule: Pick<LifecycleRule, 'selection'>): StorageClass {
  return rule.selection.storageClass ?? 'standard';
}

export function countWildcards(pattern: string): number {
  let n = 0;
  for (const ch of pattern) if (ch === '*') n += 1;
  return n;
}

// ---------------------------------------------------------------------------------------------------------------

function textLengthErrors(text: string): string[] {
  // Limits are in characters (code points), not UTF-16 units or bytes.
  const length = codePointLength(text);
  if (length < LIFECYCLE_POLICY_TEXT_MIN_LENGTH) {
    return [
      `lifecyclePolicyText: ${length} characters is below the minimum of ${LIFECYCLE_POLICY_TEXT_MIN_LENGTH}`,
    ];
  }
  if (length > LIFECYCLE_POLICY_TEXT_MAX_LENGTH) {
    return [
      `lifecyclePolicyText: ${length} characters exceeds the maximum of ${LIFECYCLE_POLICY_TEXT_MAX_LENGTH}`,
    ];
  }
  return [];
}

function codePointLength(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) surrogatePairs += 1;
  }
  return text.length - surrogatePairs;
}

function validateStructureAndSemantics(raw: unknown): LifecyclePolicyValidation {
  const labels = ruleLabels(raw);
  const structural = lifecyclePolicySchema().safeParse(raw);
  const errors: string[] = [];
  if (!structural.success) {
    for (const issue of structural.error.issues) errors.push(...formatIssue(issue, labels));
  }
  errors.push(...semanticErrors(raw, labels));
  if (errors.length > 0 || !structural.success) return { ok: false, errors: dedupe(errors) };
  return { ok: true, policy: structural.data };
}

function dedupe(items: string[]): string[] {
  return [...new Set(items)];
}

/** `rules[priority=2]` when the rule has a usable, unique priority; `rules[3]` (its index) otherwise. */
function ruleLabels(raw: unknown): string[] {
  const rules = rawRules(raw);
  const priorities = rules.map((r) =>
    isRecord(r) && isPositiveInt(r.rulePriority) ? r.rulePriority : undefined,
  );
  const seen = new Map<number, number>();
  for (const p of priorities) if (p !== undefined) seen.set(p, (seen.get(p) ?? 0) + 1);
  return priorities.map((p, i) =>
    p !== undefined && seen.get(p) === 1 ? `rules[priority=${p}]` : `rules[${i}]`,
  );
}

function formatIssue(issue: z.core.$ZodIssue, labels: string[]): string[] {
  const path = issue.path;
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
  return keys.map((key) => {
    const full = key === undefined ? path : [...path, key];
    const message =
      key === undefined ? issue.message : 'unknown property (not part of the lifecycle policy grammar)';
    return `${formatPolicyPath(full, labels)}: ${message}`;
  });
}

function formatPolicyPath(path: readonly PropertyKey[], labels: string[]): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    if (i === 1 && path[0] === 'rules' && typeof key === 'number') out = labels[key] ?? `rules[${key}]`;
    else if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-field and cross-rule constraints. They read the raw value defensively: a field of the wrong type is
// already reported by the schema and is simply skipped here.

type RawRule = {
  label: string;
  priority: number | undefined;
  tagStatus: string | undefined;
  patterns: string[] | undefined;
  prefixes: string[] | undefined;
  hasPatterns: boolean;
  hasPrefixes: boolean;
  storageClass: string | undefined;
  countType: string | undefined;
  hasCountUnit: boolean;
  countNumber: number | undefined;
  actionType: string | undefined;
  hasTargetStorageClass: boolean;
};

function semanticErrors(raw: unknown, labels: string[]): string[] {
  const errors: string[] = [];
  const rules = rawRules(raw).map((r, i) => readRule(r, labels[i] ?? `rules[${i}]`));
  for (const rule of rules) errors.push(...ruleErrors(rule));
  errors.push(...crossRuleErrors(rules));
  return errors;
}

function ruleErrors(r: RawRule): string[] {
  const errors: string[] = [];
  const at = (field: string, message: string) => errors.push(`${r.label}.${field}: ${message}`);

  // Tag selection.
  if (r.tagStatus === 'tagged') {
    if (r.hasPatterns && r.hasPrefixes) {
      at(
        'selection.tagPrefixList',
        'not allowed together with tagPatternList (a rule uses one or the other)',
      );
    } else if (!r.hasPatterns && !r.hasPrefixes) {
      at('selection.tagPatternList', 'required when tagStatus is tagged (or give tagPrefixList instead)');
    }
  } else if (r.tagStatus === 'untagged' || r.tagStatus === 'any') {
    if (r.hasPatterns)
      at('selection.tagPatternList', `only allowed when tagStatus is tagged, not ${r.tagStatus}`);
    if (r.hasPrefixes)
      at('selection.tagPrefixList', `only allowed when tagStatus is tagged, not ${r.tagStatus}`);
  }
  r.patterns?.forEach((pattern, i) => {
    const n = countWildcards(pattern);
    if (n > MAX_WILDCARDS_PER_PATTERN) {
      at(
        `selection.tagPatternList[${i}]`,
        `at most ${MAX_WILDCARDS_PER_PATTERN} wildcards (*) per pattern, found ${n}`,
      );
    }
  });

  // Count type, unit and number.
  const since = r.countType !== undefined && SINCE_COUNT_TYPES.includes(r.countType as CountType);
  if (since && !r.hasCountUnit) at('selection.countUnit', `required when countType is ${r.countType}`);
  if (r.countType === 'imageCountMoreThan' && r.hasCountUnit) {
    at('selection.countUnit', 'not allowed when countType is imageCountMoreThan');
  }

  // Storage class: archive ⇔ sinceImageTransitioned.
  if (r.countType === 'sinceImageTransitioned' && r.storageClass === undefined) {
    at('selection.storageClass', 'required ("archive") when countType is sinceImageTransitioned');
  }
  if (r.countType === 'sinceImageTransitioned' && r.storageClass === 'standard') {
    at('selection.storageClass', 'must be archive when countType is sinceImageTransitioned');
  }
  if (r.storageClass === 'archive' && r.countType !== undefined && r.countType !== 'sinceImageTransitioned') {
    at('selection.storageClass', `must be standard (or omitted) when countType is ${r.countType}`);
  }

  // Which actions each count type allows.
  if (r.countType === 'sinceImagePulled' && r.actionType === 'expire') {
    at('action.type', 'must be transition when countType is sinceImagePulled (it cannot expire images)');
  }
  if (r.countType === 'sinceImageTransitioned') {
    if (r.actionType === 'transition')
      at('action.type', 'must be expire when countType is sinceImageTransitioned');
    if (
      r.countNumber !== undefined &&
      isPositiveInt(r.countNumber) &&
      r.countNumber < MIN_DAYS_IN_ARCHIVE_BEFORE_EXPIRY
    ) {
      at(
        'selection.countNumber',
        `must be at least ${MIN_DAYS_IN_ARCHIVE_BEFORE_EXPIRY} when countType is sinceImageTransitioned (archived images have a ${MIN_DAYS_IN_ARCHIVE_BEFORE_EXPIRY}-day minimum)`,
      );
    }
  }

  // Action target.
  if (r.actionType === 'transition' && !r.hasTargetStorageClass) {
    at('action.targetStorageClass', 'required ("archive") when action.type is transition');
  }
  if (r.actionType === 'expire' && r.hasTargetStorageClass) {
    at('action.targetStorageClass', 'only allowed when action.type is transition');
  }
  return errors;
}

function crossRuleErrors(rules: RawRule[]): string[] {
  const errors: string[] = [];

  const byPriority = new Map<number, RawRule[]>();
  for (const r of rules)
    if (r.priority !== undefined) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  for (const [priority, same] of byPriority) {
    if (same.length > 1) {
      errors.push(
        `${same.map((r) => r.label).join(', ')}.rulePriority: ${same.length} rules share rulePriority ${priority}; each rule needs a unique value`,
      );
    }
  }

  // The evaluation rules are stated per storage class ("the set of all rules selecting a specific storage
  // class …"); AWS's own "Combining archive and expire rules" example has an `any` rule in each class.
  for (const storageClass of STORAGE_CLASSES) {
    const inClass = rules.filter(
      (r) => (r.storageClass ?? 'standard') === storageClass && r.priority !== undefined,
    );
    const anyRules = inClass.filter((r) => r.tagStatus === 'any');
    for (const anyRule of anyRules) {
      const later = inClass.filter((r) => r !== anyRule && (r.priority ?? 0) > (anyRule.priority ?? 0));
      if (later.length > 0) {
        errors.push(
          `${anyRule.label}.rulePriority: a rule with tagStatus any must have the highest rulePriority among ${storageClass} rules, but ${later
            .map((r) => r.label)
            .join(', ')} come${later.length === 1 ? 's' : ''} after it`,
        );
      }
    }
    const untagged = inClass.filter((r) => r.tagStatus === 'untagged').sort(byRulePriority);
    for (const extra of untagged.slice(1)) {
      errors.push(
        `${extra.label}.selection.tagStatus: only one ${storageClass} rule may select untagged images, and ${untagged[0]!.label} already does`,
      );
    }
    const prefixSets = new Map<string, RawRule>();
    for (const r of inClass.filter((x) => x.tagStatus === 'tagged' && x.prefixes).sort(byRulePriority)) {
      const key = JSON.stringify([...new Set(r.prefixes)].sort());
      const first = prefixSets.get(key);
      if (first) {
        errors.push(
          `${r.label}.selection.tagPrefixList: the same prefixes as ${first.label}; the ${storageClass} rules must have unique sets of tag prefixes`,
        );
      } else prefixSets.set(key, r);
    }
  }
  return errors;
}

const byRulePriority = (a: RawRule, b: RawRule) => (a.priority ?? 0) - (b.priority ?? 0);

function readRule(value: unknown, label: string): RawRule {
  const rule = isRecord(value) ? value : {};
  const selection = isRecord(rule.selection) ? rule.selection : {};
  const action = isRecord(rule.action) ? rule.action : {};
  const strings = (v: unknown) =>
    Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    label,
    priority: isPositiveInt(rule.rulePriority) ? rule.rulePriority : undefined,
    tagStatus: str(selection.tagStatus),
    patterns: strings(selection.tagPatternList),
    prefixes: strings(selection.tagPrefixList),
    hasPatterns: selection.tagPatternList !== undefined,
    hasPrefixes: selection.tagPrefixList !== undefined,
    storageClass: str(selection.storageClass),
    countType: str(selection.countType),
    hasCountUnit: selection.countUnit !== undefined,
    countNumber: typeof selection.countNumber === 'number' ? selection.countNumber : undefined,
    actionType: str(action.type),
    hasTargetStorageClass: action.targetStorageClass !== undefined,
  };
}

function rawRules(raw: unknown): unknown[] {
  return isRecord(raw) && Array.isArray(raw.rules) ? raw.rules : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
