import {
  awsOrganization,
  awsProvisioner,
  codebuildProjects,
  ecrRegistry,
  iamIdentity,
} from '../../runtime/adapters';
import { dynamoClaims } from '../../runtime/tables';
import {
  createManagedProject,
  deleteManagedProject,
  listManagedProjects,
  showManagedProject,
  type ProvisioningDeps,
} from '../../usecases/provisioning';
import { commandDeps } from '../deps';
import { EXIT, stringOption, UsageError, type Command, type Io } from '../framework';
import { loadGuardrails, loadSandbox, readJsonFile, settingsOf } from '../inputs';

const common = {
  snapshot: {
    type: 'string' as const,
    valueName: 'FILE',
    description: 'work on a snapshot (the sandbox) instead of the live account',
  },
  save: {
    type: 'boolean' as const,
    description: 'with --snapshot: write the changed account back to the file',
  },
  config: { type: 'string' as const, valueName: 'FILE', description: 'guardrails file' },
};

const claimsTableOption = {
  'claims-table': {
    type: 'string' as const,
    valueName: 'NAME',
    description:
      "live account: claim the name in the deployed stack's idempotency table, as the API does (default $BUILDWARDEN_IDEMPOTENCY_TABLE; none: no claim)",
  },
};

/**
 * A live account's ports, the organization included (repository policies may share with it). Names are claimed
 * in the deployed stack's idempotency table when one is given (`--claims-table` or
 * $BUILDWARDEN_IDEMPOTENCY_TABLE), so a CLI request and an API request on one name never build at once; without
 * a table no claim is held (concurrent requests still never remove each other's work).
 */
const LIVE_NEEDS = [ecrRegistry, codebuildProjects, iamIdentity, awsProvisioner, awsOrganization] as const;
const LIVE_CLAIMING_NEEDS = [...LIVE_NEEDS, dynamoClaims] as const;
/** The sandbox plays the organization and the claims on names too. */
const SANDBOX_NEEDS = LIVE_CLAIMING_NEEDS;

async function depsFor(
  values: Record<string, string | boolean | undefined>,
  io: Io,
): Promise<{ deps: ProvisioningDeps; save: () => void }> {
  const snapshot = stringOption(values, 'snapshot');
  if (values.save && !snapshot) throw new UsageError('--save goes with --snapshot');
  const claimsTable = stringOption(values, 'claims-table');
  if (claimsTable !== undefined && snapshot) throw new UsageError('--claims-table goes without --snapshot');
  const settings = settingsOf(io);
  if (snapshot) {
    const sandbox = loadSandbox(snapshot, io);
    return {
      deps: await commandDeps(settings, SANDBOX_NEEDS, sandbox),
      save: () => (values.save ? sandbox.saveTo(sandbox.file ?? snapshot) : undefined),
    };
  }
  const table = claimsTable ?? settings.BUILDWARDEN_IDEMPOTENCY_TABLE;
  if (table === undefined) return { deps: await commandDeps(settings, LIVE_NEEDS), save: () => undefined };
  return {
    deps: await commandDeps({ ...settings, BUILDWARDEN_IDEMPOTENCY_TABLE: table }, LIVE_CLAIMING_NEEDS),
    save: () => undefined,
  };
}

export const projectsCreateCommand: Command = {
  name: 'projects create',
  summary:
    'Create a compliant container build project: ECR repository, least-privilege role, CodeBuild project.',
  usage:
    'buildwarden projects create --file BODY.json [--snapshot FILE [--save] | --claims-table NAME] [--config FILE]',
  details:
    'BODY.json is the POST /projects body (name, source, buildspec?, computeType?, image?, environmentVariables?, tags?).\n' +
    'Prints status created, unchanged or repaired (an identical project whose drifted parts were restored).\n' +
    'Exit 0 created, identical or repaired; 1 refused (conflict, not managed, another request on the name) or\n' +
    'parts left unrepaired; 2 invalid body; 4 failed (rolled back, or a repair to finish by running it again).',
  options: {
    file: { type: 'string', valueName: 'FILE', description: 'the request body (JSON)' },
    ...common,
    ...claimsTableOption,
  },
  async run({ values }, io) {
    const file = stringOption(values, 'file');
    if (!file) throw new UsageError('--file BODY.json is required');
    const body = readJsonFile(file, io);
    const guardrails = loadGuardrails(stringOption(values, 'config'), io).guardrails;
    const { deps, save } = await depsFor(values, io);
    const created = await createManagedProject(body, deps, { guardrails });
    save();
    io.stdout(`${JSON.stringify(created.body, null, 2)}\n`);
    const unrepaired = created.body.unrepaired ?? [];
    for (const part of unrepaired) io.stderr(`buildwarden: not repaired: ${part.part}: ${part.detail}\n`);
    return unrepaired.length > 0 ? EXIT.findings : EXIT.ok;
  },
};

export const projectsListCommand: Command = {
  name: 'projects list',
  summary: 'List the projects buildwarden manages, with their live compliance.',
  usage: 'buildwarden projects list [--snapshot FILE] [--config FILE]',
  options: { snapshot: common.snapshot, config: common.config },
  async run({ values }, io) {
    const { deps } = await depsFor(values, io);
    const projects = await listManagedProjects(deps, {
      guardrails: loadGuardrails(stringOption(values, 'config'), io).guardrails,
    });
    io.stdout(`${JSON.stringify({ projects }, null, 2)}\n`);
    return EXIT.ok;
  },
};

export const projectsShowCommand: Command = {
  name: 'projects show',
  summary:
    'Show one managed project, its live compliance and the state of each part (exit 1 when not compliant).',
  usage: 'buildwarden projects show NAME [--snapshot FILE] [--config FILE]',
  options: { snapshot: common.snapshot, config: common.config },
  positionals: [1, 1],
  async run({ values, positionals }, io) {
    const { deps } = await depsFor(values, io);
    const guardrails = loadGuardrails(stringOption(values, 'config'), io).guardrails;
    const status = await showManagedProject(positionals[0]!, deps, { guardrails });
    io.stdout(`${JSON.stringify(status, null, 2)}\n`);
    return status.compliant ? EXIT.ok : EXIT.findings;
  },
};

export const projectsDeleteCommand: Command = {
  name: 'projects delete',
  summary:
    'Delete a managed project, its role and its repository (the repository only if empty, or with --force).',
  details:
    'Run it again to finish a delete that failed part way: what is already gone is listed under alreadyGone.\n' +
    'When the project is gone, NAME must be the repository name (with /) to find a left-over repository.',
  usage: 'buildwarden projects delete NAME [--force] [--snapshot FILE [--save]]',
  options: {
    force: { type: 'boolean', description: 'also delete a repository that still holds images' },
    snapshot: common.snapshot,
    save: common.save,
  },
  positionals: [1, 1],
  async run({ values, positionals }, io) {
    const { deps, save } = await depsFor(values, io);
    const result = await deleteManagedProject(positionals[0]!, deps, { force: values.force === true });
    save();
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return EXIT.ok;
  },
};
