/**
 * The ports kept in DynamoDB tables, as Needs of compose() (lib/runtime/compose.ts): the verdict store, the
 * build ledger, the claims on project names, the findings state. Apart from lib/runtime/adapters.ts because the DynamoDB document
 * client is not marked free of side effects: a bundle that imports this module carries it, so only the
 * functions that use a table import it.
 */
import { DynamoFindingsStore } from '../aws/findings-store';
import { DynamoProvisioningClaims } from '../aws/provisioning-claims';
import { DynamoVerdictStore } from '../aws/verdicts';
import type { Need } from './compose';

/** The verdict store; the build ledger only when its table is set (the gate reads verdicts only). */
export const dynamoVerdicts: Need<'verdicts'> = {
  port: 'verdicts',
  settings: ['BUILDWARDEN_VERDICTS_TABLE'],
  aws: (settings) =>
    new DynamoVerdictStore({
      verdicts: settings.BUILDWARDEN_VERDICTS_TABLE!,
      ...(settings.BUILDWARDEN_BUILDS_TABLE ? { builds: settings.BUILDWARDEN_BUILDS_TABLE } : {}),
    }),
};

/** The verdict store with the build ledger, for the functions that record or look up builds. */
export const dynamoVerdictsAndBuilds: Need<'verdicts'> = {
  port: 'verdicts',
  settings: ['BUILDWARDEN_VERDICTS_TABLE', 'BUILDWARDEN_BUILDS_TABLE'],
  aws: (settings) =>
    new DynamoVerdictStore({
      verdicts: settings.BUILDWARDEN_VERDICTS_TABLE!,
      builds: settings.BUILDWARDEN_BUILDS_TABLE!,
    }),
};

/** Claims on project names, in the idempotency table. */
export const dynamoClaims: Need<'claims'> = {
  port: 'claims',
  settings: ['BUILDWARDEN_IDEMPOTENCY_TABLE'],
  aws: (settings) => new DynamoProvisioningClaims(settings.BUILDWARDEN_IDEMPOTENCY_TABLE!),
};

/** The findings state (the audit writes it in batches, the change handler record by record). */
export const dynamoFindings: Need<'findingsStore'> = {
  port: 'findingsStore',
  settings: ['BUILDWARDEN_FINDINGS_TABLE'],
  aws: (settings) => new DynamoFindingsStore(settings.BUILDWARDEN_FINDINGS_TABLE!),
};
