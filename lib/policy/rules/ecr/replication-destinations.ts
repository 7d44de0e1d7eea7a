/**
 * `ecr.replication-destinations`: every destination of the registry's replication configuration is the own
 * account or an allowed one, and in an allowed Region when those are configured.
 */
import * as z from 'zod';
import type { Finding } from '../../findings';
import type { ReplicationConfiguration, ReplicationRule } from '../../registry-settings';
import { registryRule, type ProposedFix, type RegistrySubjects } from '../definition';
import { compliant, violation } from '../outcomes';
import type { RuleContext, RuleOutcome } from '../types';

type Subject = RegistrySubjects['replication-configuration'];
type Destination = ReplicationRule['destinations'][number];

interface ReplicationOptions {
  allowedAccounts: readonly string[];
  allowedRegions: readonly string[];
}

/** Why a destination is not allowed, or undefined when it is. */
function disallowed(destination: Destination, ownAccountId: string, options: ReplicationOptions) {
  const reasons: string[] = [];
  if (destination.registryId !== ownAccountId && !options.allowedAccounts.includes(destination.registryId)) {
    reasons.push('account not in allowedAccounts');
  }
  if (options.allowedRegions.length > 0 && !options.allowedRegions.includes(destination.region)) {
    reasons.push('Region not in allowedRegions');
  }
  return reasons.length > 0 ? reasons.join(', ') : undefined;
}

function filtersOf(rule: ReplicationRule): string {
  const filters = rule.repositoryFilters ?? [];
  return filters.length === 0
    ? 'every repository'
    : `repositories ${filters.map((f) => `${f.filterType} ${f.filter}`).join(', ')}`;
}

export const replicationDestinationsRule = (subject: Subject, ctx: RuleContext): RuleOutcome => {
  const options = ctx.guardrails.rules['ecr.replication-destinations'];
  const found: { rule: number; registryId: string; region: string; reason: string; filters: string }[] = [];
  subject.configuration.rules.forEach((rule, index) => {
    for (const destination of rule.destinations) {
      const reason = disallowed(destination, ctx.view.accountId, options);
      if (reason) {
        found.push({
          rule: index,
          registryId: destination.registryId,
          region: destination.region,
          reason,
          filters: filtersOf(rule),
        });
      }
    }
  });
  const count = subject.configuration.rules.reduce((n, r) => n + r.destinations.length, 0);
  if (found.length === 0) {
    return compliant(
      count === 0
        ? 'the registry replicates to no destination'
        : `every replication destination (${count}) is allowed`,
    );
  }
  const names = found.map(
    (d) => `${d.registryId} in ${d.region} (rule ${d.rule + 1}, ${d.filters}: ${d.reason})`,
  );
  return violation(`images are replicated to destinations not allowed: ${names.join('; ')}`, true, {
    disallowedDestinations: found,
  });
};

/**
 * The configuration without the destinations the finding named as disallowed; a rule left without any
 * destination is dropped.
 */
function planReplication(subject: Subject, finding: Finding): ProposedFix {
  const named = (finding.details?.disallowedDestinations ?? []) as {
    rule: number;
    registryId: string;
    region: string;
  }[];
  const before = JSON.stringify(subject.configuration);
  const rules = subject.configuration.rules
    .map((rule, index) => ({
      ...rule,
      destinations: rule.destinations.filter(
        (d) => !named.some((n) => n.rule === index && n.registryId === d.registryId && n.region === d.region),
      ),
    }))
    .filter((rule) => rule.destinations.length > 0);
  const replicationConfiguration: ReplicationConfiguration = { ...subject.configuration, rules };
  const after = JSON.stringify(replicationConfiguration);
  if (after === before) return { refused: 'nothing to remove', before, after };
  return { write: { type: 'PutReplicationConfiguration', replicationConfiguration }, before, after };
}

const accountId = () => z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const region = () => z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as us-east-1');

export const replicationDestinations = registryRule({
  id: 'ecr.replication-destinations',
  resource: 'replication-configuration',
  severity: 'high',
  mode: 'report',
  options: () => ({
    /** Other accounts images may be replicated to (the own account always may). */
    allowedAccounts: z.array(accountId()).default([]),
    /** When non-empty, every destination must be in one of these Regions. */
    allowedRegions: z.array(region()).default([]),
  }),
  title: 'ECR registries should replicate images only to allowed accounts and Regions',
  recommendation:
    'Remove the replication destinations outside the allowed accounts and Regions (PutReplicationConfiguration). buildwarden does it when the rule mode is remediate.',
  documentationUrl: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html',
  reads: ['replication-configuration'],
  summary:
    'every replication destination is the own account or in `allowedAccounts`, and in `allowedRegions` when set',
  remediates: 'removes only the disallowed destinations',
  evaluate: replicationDestinationsRule,
  remediation: { writes: ['PutReplicationConfiguration'], plan: planReplication },
});
