/**
 * Reading the registry-level settings (replication, registry policy, pull through cache rules, creation
 * templates) through the RegistryReader port, one call each, for the audit, the snapshot and the change handler.
 */
import type { RegistryReader } from '../ports';
import { known, unknown, type Known, type RegistrySettings } from '../policy/registry-settings';
import type { Read } from '../policy/rules/definition';
import { describeError } from './errors';

/** Which registry setting each registry read fills, and the port method that reads it (one call each). */
export const REGISTRY_SETTING_READS = {
  'replication-configuration': ['replicationConfiguration', (r) => r.replicationConfiguration()],
  'registry-policy': ['registryPolicyText', (r) => r.registryPolicyText()],
  'pull-through-cache-rules': ['pullThroughCacheRules', (r) => r.pullThroughCacheRules()],
  'repository-creation-templates': ['repositoryCreationTemplates', (r) => r.repositoryCreationTemplates()],
} as const satisfies Partial<
  Record<Read, readonly [keyof RegistrySettings, (registry: RegistryReader) => Promise<unknown>]>
>;

/** The reads of the registry-level settings. */
export const REGISTRY_SETTING_READ_NAMES = Object.keys(REGISTRY_SETTING_READS) as Read[];

/**
 * The registry-level settings the active rules read, each known or, when its read failed, why not (its rules
 * then say not-visible); undefined when no active rule reads any.
 */
export async function readRegistrySettings(
  registry: RegistryReader,
  reads: ReadonlySet<Read>,
): Promise<RegistrySettings | undefined> {
  const wanted = (Object.keys(REGISTRY_SETTING_READS) as (keyof typeof REGISTRY_SETTING_READS)[]).filter(
    (r) => reads.has(r),
  );
  if (wanted.length === 0) return undefined;
  const settings: Record<string, Known<unknown>> = {};
  await Promise.all(
    wanted.map(async (read) => {
      const [name, call] = REGISTRY_SETTING_READS[read];
      try {
        settings[name] = known(await call(registry));
      } catch (error) {
        settings[name] = unknown(describeError(error));
      }
    }),
  );
  return settings as RegistrySettings;
}
