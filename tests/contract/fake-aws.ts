/**
 * The AWS APIs the adapters call, answered over aws-sdk-client-mock from an account snapshot (the same data the
 * sandbox account is loaded from), so that a contract suite can run the real adapters and the sandbox against
 * one world. Each handler follows the API reference of its operation: page sizes and tokens (maxResults,
 * nextToken, MaxItems, Marker), the exceptions each operation raises (the SDK's own exception classes), the
 * wire shapes the SDK returns (Dates for timestamps, URL-encoded IAM policy documents). Writes change the
 * snapshot, so what a write did is read back through the reader adapters.
 */
import {
  BatchGetProjectsCommand,
  CodeBuildClient,
  CreateProjectCommand,
  DeleteProjectCommand,
  InvalidInputException,
  ListProjectsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateProjectCommand,
  UpdateProjectVisibilityCommand,
} from '@aws-sdk/client-codebuild';
import {
  CreateRepositoryCommand,
  CreateRepositoryCreationTemplateCommand,
  DeleteRegistryPolicyCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRegistryCommand,
  DescribeRepositoryCreationTemplatesCommand,
  GetRegistryPolicyCommand,
  PutRegistryPolicyCommand,
  PutReplicationConfigurationCommand,
  RegistryPolicyNotFoundException,
  TemplateAlreadyExistsException,
  TemplateNotFoundException,
  UpdateRepositoryCreationTemplateCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  GetRepositoryPolicyCommand,
  ImageNotFoundException,
  InvalidParameterException,
  LifecyclePolicyNotFoundException,
  ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  PutRegistryScanningConfigurationCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotEmptyException,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  ScanNotFoundException,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateRoleCommand,
  DeleteConflictException,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AWSOrganizationsNotInUseException,
  DescribeOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { NoSuchBucket, PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { createHash } from 'node:crypto';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';

// The stubs answer every command of their client: their input and output types are the handlers' business.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Stub = AwsStub<any, any, any>;
import {
  ECR_PAGE_MAX,
  IAM_DEFAULT_PAGE,
  IAM_PAGE_MAX,
  LIST_PROJECTS_PAGE,
  BATCH_GET_PROJECTS_MAX,
  parseRepositoryArn,
  partitionOf,
  projectArnOf,
  repositoryArnOf,
  repositoryUriOf,
  roleArnOf,
} from '../../lib/policy/aws-facts';
import type { ManagedPolicy, Project, Repository, Role } from '../../lib/policy/model';
import type { Snapshot } from '../../lib/policy/snapshot';
import { awsSample } from '../fixtures/load';

type Item = Record<string, unknown>;
/** ECR lists without maxResults answer up to 100 items a page (ECR API Reference, DescribeRepositories). */
const ECR_DEFAULT_PAGE = 100;
const metadata = { $metadata: { httpStatusCode: 400 } };

/** Fields whose values the SDK returns as Date (the snapshot holds ISO text). */
const TIMESTAMPS = new Set([
  'createdAt',
  'imagePushedAt',
  'lastRecordedPullTime',
  'lastArchivedAt',
  'lastActivatedAt',
  'imageScanCompletedAt',
  'vulnerabilitySourceUpdatedAt',
  'firstObservedAt',
  'lastObservedAt',
  'updatedAt',
  'created',
  'lastModified',
  'CreateDate',
  'UpdateDate',
]);

/** A snapshot object as the SDK would return it: timestamps as Dates. */
function wire<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => wire(v)) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      TIMESTAMPS.has(k) && typeof v === 'string' ? new Date(v) : wire(v),
    ]),
  ) as T;
}

/** IAM returns policy documents URL-encoded (IAM API Reference, GetRolePolicy and friends). */
const encoded = (document: unknown) => encodeURIComponent(JSON.stringify(document));

/** One page of `items` from an opaque token; an unknown token is refused, as the services do. */
function pageOf<T>(items: T[], size: number, token: string | undefined, fail: (m: string) => Error) {
  let start = 0;
  if (token !== undefined) {
    const match = /^page-(\d+)$/.exec(token);
    if (!match) throw fail('Invalid NextToken');
    start = Number(match[1]);
  }
  const end = start + size;
  return { items: items.slice(start, end), next: end < items.length ? `page-${end}` : undefined };
}

/** A request whose page size is outside the API's bounds is refused (botocore: MaxResults 1–1000 …). */
function pageSize(asked: number | undefined, fallback: number, max: number, fail: (m: string) => Error) {
  if (asked === undefined) return fallback;
  if (!Number.isInteger(asked) || asked < 1 || asked > max) throw fail(`page size must be 1 to ${max}`);
  return asked;
}

const JOINED = [
  'lifecyclePolicyText',
  'repositoryPolicyText',
  'tags',
  'images',
  'scanFindings',
  'unreadable',
];

/**
 * A refusal the snapshot records as `ErrorName: message` (the text UnreadableError keeps), raised as the SDK
 * raises a service error: `name` and `message` apart.
 */
function refusal(text: string): Error {
  const colon = text.indexOf(': ');
  const error = new Error(colon > 0 ? text.slice(colon + 2) : text);
  error.name = colon > 0 ? text.slice(0, colon) : 'AccessDeniedException';
  return error;
}

export class FakeAws {
  readonly clients = {
    ecr: new ECRClient({ region: 'us-east-1' }),
    codebuild: new CodeBuildClient({ region: 'us-east-1' }),
    iam: new IAMClient({ region: 'us-east-1' }),
    organizations: new OrganizationsClient({ region: 'us-east-1' }),
    sns: new SNSClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
  };
  /** Every PublishCommand input, in order. */
  readonly published: PublishCommandInput[] = [];
  /** The one bucket of the account (versioned): the reports bucket. */
  readonly reportsBucket = 'buildwarden-contract-reportsbucket';
  /** Every version of each object of the reports bucket, oldest first. */
  readonly objects = new Map<string, { versionId: string; body: string; contentType: string }[]>();
  /** PutObject calls received, refused ones included. */
  putObjectCalls = 0;
  private readonly stubs: Stub[] = [];

  constructor(readonly world: Snapshot) {
    this.ecr();
    this.codebuild();
    this.iam();
    this.others();
  }

  /** Undoes the mocks (each FakeAws mocks its own client instances only). */
  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }

  private get scope() {
    const { accountId, region } = this.world;
    return { partition: partitionOf(region), region, accountId };
  }

  private stub(client: object): Stub {
    const stub = mockClient(client as never) as Stub;
    this.stubs.push(stub);
    return stub;
  }

  // -- ECR ------------------------------------------------------------------------------------------------

  private repository(name: string | undefined): Repository {
    const found = this.world.ecr.repositories.find((r) => r.repositoryName === name);
    if (!found) {
      throw new RepositoryNotFoundException({
        message: `The repository with name '${name}' does not exist in the registry with id '${this.world.accountId}'`,
        ...metadata,
      });
    }
    return found;
  }

  /** A read the snapshot records as refused fails the same way here. */
  private refuseIfUnreadable(repository: Repository, call: string): void {
    if (repository.unreadable?.call === call) throw refusal(repository.unreadable.error);
  }

  private ecr(): void {
    const ecr = this.stub(this.clients.ecr);
    const invalid = (message: string) => new InvalidParameterException({ message, ...metadata });
    const describeItem = (r: Repository) =>
      wire(Object.fromEntries(Object.entries(r).filter(([k]) => !JOINED.includes(k))));

    ecr.on(DescribeRepositoriesCommand).callsFake(async (input: Item) => {
      const names = input.repositoryNames as string[] | undefined;
      if (names) {
        if (input.nextToken !== undefined || input.maxResults !== undefined)
          throw invalid('nextToken and maxResults cannot be used with repositoryNames');
        return { repositories: names.map((n) => describeItem(this.repository(n))) };
      }
      const size = pageSize(input.maxResults as number, ECR_DEFAULT_PAGE, ECR_PAGE_MAX, invalid);
      const page = pageOf(this.world.ecr.repositories, size, input.nextToken as string, invalid);
      return { repositories: page.items.map(describeItem), ...(page.next ? { nextToken: page.next } : {}) };
    });

    ecr.on(GetRegistryScanningConfigurationCommand).callsFake(async () => {
      const refused = this.world.ecr.unreadable;
      if (refused) throw refusal(refused.error);
      // "When a registry scanning configuration is not defined, by default the BASIC scan type is used."
      const configuration = this.world.ecr.registryScanningConfiguration ?? { scanType: 'BASIC', rules: [] };
      return { registryId: this.world.accountId, scanningConfiguration: structuredClone(configuration) };
    });

    ecr.on(GetLifecyclePolicyCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      this.refuseIfUnreadable(r, 'ecr:GetLifecyclePolicy');
      if (r.lifecyclePolicyText === undefined) {
        throw new LifecyclePolicyNotFoundException({
          message: `Lifecycle policy does not exist for the repository with name '${r.repositoryName}' in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      return {
        registryId: this.world.accountId,
        repositoryName: r.repositoryName,
        lifecyclePolicyText: r.lifecyclePolicyText,
      };
    });

    ecr.on(GetRepositoryPolicyCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      this.refuseIfUnreadable(r, 'ecr:GetRepositoryPolicy');
      if (r.repositoryPolicyText === undefined) {
        throw new RepositoryPolicyNotFoundException({
          message: `Repository policy does not exist for the repository with name '${r.repositoryName}' in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      return {
        registryId: this.world.accountId,
        repositoryName: r.repositoryName,
        policyText: r.repositoryPolicyText,
      };
    });

    ecr.on(ListTagsForResourceCommand).callsFake(async (input: Item) => {
      const arn = parseRepositoryArn(String(input.resourceArn));
      if (!arn) throw invalid('Invalid parameter at resourceArn');
      const r = this.repository(arn.repositoryName);
      this.refuseIfUnreadable(r, 'ecr:ListTagsForResource');
      return { tags: structuredClone(r.tags ?? []) };
    });

    ecr.on(DescribeImagesCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      this.refuseIfUnreadable(r, 'ecr:DescribeImages');
      const images = r.images ?? [];
      const ids = input.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined;
      if (ids) {
        const found = ids.map((id) => {
          const image = images.find(
            (i) => i.imageDigest === id.imageDigest || (!!id.imageTag && i.imageTags?.includes(id.imageTag)),
          );
          if (!image) {
            throw new ImageNotFoundException({
              message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${r.repositoryName}' in the registry with id '${this.world.accountId}'`,
              ...metadata,
            });
          }
          return image;
        });
        return { imageDetails: wire(structuredClone(found)) };
      }
      const size = pageSize(input.maxResults as number, ECR_DEFAULT_PAGE, ECR_PAGE_MAX, invalid);
      const page = pageOf(images, size, input.nextToken as string, invalid);
      return {
        imageDetails: wire(structuredClone(page.items)),
        ...(page.next ? { nextToken: page.next } : {}),
      };
    });

    ecr.on(DescribeImageScanFindingsCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      const digest = (input.imageId as { imageDigest?: string }).imageDigest ?? '';
      const stored = r.scanFindings?.[digest] as Item | undefined;
      if (!stored && !(r.images ?? []).some((i) => i.imageDigest === digest)) {
        throw new ImageNotFoundException({
          message: `The image with imageId {imageDigest:'${digest}', imageTag:'null'} does not exist within the repository with name '${r.repositoryName}' in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      if (!stored) {
        throw new ScanNotFoundException({
          message: `Image scan does not exist for the image with '{imageDigest:'${digest}', imageTag:'null'}' in the repository with name '${r.repositoryName}' in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      // Findings (basic and enhanced alike) are paged; every page repeats the rest of the response.
      const size = pageSize(input.maxResults as number, ECR_DEFAULT_PAGE, ECR_PAGE_MAX, invalid);
      const scan = (stored.imageScanFindings ?? {}) as Item;
      const key = Array.isArray(scan.enhancedFindings) ? 'enhancedFindings' : 'findings';
      const page = pageOf((scan[key] as unknown[]) ?? [], size, input.nextToken as string, invalid);
      return wire({
        ...structuredClone(stored),
        imageScanFindings: { ...structuredClone(scan), [key]: structuredClone(page.items) },
        ...(page.next ? { nextToken: page.next } : {}),
      });
    });

    // Writes.
    ecr.on(PutLifecyclePolicyCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      r.lifecyclePolicyText = String(input.lifecyclePolicyText);
      return { repositoryName: r.repositoryName, lifecyclePolicyText: r.lifecyclePolicyText };
    });
    ecr.on(PutImageScanningConfigurationCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      r.imageScanningConfiguration = structuredClone(input.imageScanningConfiguration) as {
        scanOnPush: boolean;
      };
      return { repositoryName: r.repositoryName, imageScanningConfiguration: r.imageScanningConfiguration };
    });
    ecr.on(PutImageTagMutabilityCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      r.imageTagMutability = input.imageTagMutability as Repository['imageTagMutability'];
      // The filters sent replace the repository's; none sent, none kept.
      const filters =
        input.imageTagMutabilityExclusionFilters as Repository['imageTagMutabilityExclusionFilters'];
      if (filters) r.imageTagMutabilityExclusionFilters = structuredClone(filters);
      else delete r.imageTagMutabilityExclusionFilters;
      return { repositoryName: r.repositoryName, imageTagMutability: r.imageTagMutability };
    });
    ecr.on(SetRepositoryPolicyCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      r.repositoryPolicyText = String(input.policyText);
      return { repositoryName: r.repositoryName, policyText: r.repositoryPolicyText };
    });
    ecr.on(DeleteRepositoryPolicyCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      if (r.repositoryPolicyText === undefined) {
        throw new RepositoryPolicyNotFoundException({
          message: `Repository policy does not exist for the repository with name '${r.repositoryName}' in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      const policyText = r.repositoryPolicyText;
      delete r.repositoryPolicyText;
      return { repositoryName: r.repositoryName, policyText };
    });
    ecr.on(PutRegistryScanningConfigurationCommand).callsFake(async (input: Item) => {
      this.world.ecr.registryScanningConfiguration = {
        scanType: input.scanType as 'BASIC' | 'ENHANCED',
        rules: structuredClone(input.rules ?? []) as never,
      };
      return { registryScanningConfiguration: structuredClone(this.world.ecr.registryScanningConfiguration) };
    });
    // Registry-level settings: an absent snapshot key is the API's "none".
    ecr.on(DescribeRegistryCommand).callsFake(async () => ({
      registryId: this.world.accountId,
      replicationConfiguration: structuredClone(this.world.ecr.replicationConfiguration ?? { rules: [] }),
    }));
    ecr.on(GetRegistryPolicyCommand).callsFake(async () => {
      const text = this.world.ecr.registryPolicyText;
      if (text === undefined || text === null) {
        throw new RegistryPolicyNotFoundException({
          message: `Registry policy does not exist in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      return { registryId: this.world.accountId, policyText: text };
    });
    ecr.on(DescribePullThroughCacheRulesCommand).callsFake(async (input: Item) => {
      const size = pageSize(input.maxResults as number, ECR_DEFAULT_PAGE, ECR_PAGE_MAX, invalid);
      const page = pageOf(
        this.world.ecr.pullThroughCacheRules ?? [],
        size,
        input.nextToken as string,
        invalid,
      );
      return { pullThroughCacheRules: wire(page.items), ...(page.next ? { nextToken: page.next } : {}) };
    });
    ecr.on(DescribeRepositoryCreationTemplatesCommand).callsFake(async (input: Item) => {
      const size = pageSize(input.maxResults as number, ECR_DEFAULT_PAGE, ECR_PAGE_MAX, invalid);
      const all = this.world.ecr.repositoryCreationTemplates ?? [];
      const page = pageOf(all, size, input.nextToken as string, invalid);
      return {
        registryId: this.world.accountId,
        repositoryCreationTemplates: wire(page.items),
        ...(page.next ? { nextToken: page.next } : {}),
      };
    });
    ecr.on(PutReplicationConfigurationCommand).callsFake(async (input: Item) => {
      this.world.ecr.replicationConfiguration = structuredClone(input.replicationConfiguration) as never;
      return { replicationConfiguration: structuredClone(input.replicationConfiguration) };
    });
    ecr.on(PutRegistryPolicyCommand).callsFake(async (input: Item) => {
      this.world.ecr.registryPolicyText = String(input.policyText);
      return { registryId: this.world.accountId, policyText: input.policyText };
    });
    ecr.on(DeleteRegistryPolicyCommand).callsFake(async () => {
      const text = this.world.ecr.registryPolicyText;
      if (text === undefined || text === null) {
        throw new RegistryPolicyNotFoundException({
          message: `Registry policy does not exist in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      this.world.ecr.registryPolicyText = null;
      return { registryId: this.world.accountId, policyText: text };
    });
    const templateOf = (input: Item) => {
      const { clientToken: _token, ...template } = input;
      return structuredClone(template) as never as NonNullable<
        Snapshot['ecr']['repositoryCreationTemplates']
      >[number];
    };
    const samePrefix = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
    ecr.on(CreateRepositoryCreationTemplateCommand).callsFake(async (input: Item) => {
      const templates = (this.world.ecr.repositoryCreationTemplates ??= []);
      if (templates.some((t) => samePrefix(t.prefix, String(input.prefix)))) {
        throw new TemplateAlreadyExistsException({
          message: `The repository creation template with prefix '${String(input.prefix)}' already exists in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      templates.push(templateOf(input));
      return { registryId: this.world.accountId, repositoryCreationTemplate: wire(templateOf(input)) };
    });
    ecr.on(UpdateRepositoryCreationTemplateCommand).callsFake(async (input: Item) => {
      const templates = this.world.ecr.repositoryCreationTemplates ?? [];
      const index = templates.findIndex((t) => samePrefix(t.prefix, String(input.prefix)));
      if (index < 0) {
        throw new TemplateNotFoundException({
          message: `The repository creation template with prefix '${String(input.prefix)}' does not exist in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      templates[index] = { ...templates[index]!, ...templateOf(input) };
      return { registryId: this.world.accountId, repositoryCreationTemplate: wire(templates[index]) };
    });
    ecr.on(CreateRepositoryCommand).callsFake(async (input: Item) => {
      const name = String(input.repositoryName);
      if (this.world.ecr.repositories.some((r) => r.repositoryName === name)) {
        throw new RepositoryAlreadyExistsException({
          message: `The repository with name '${name}' already exists in the registry with id '${this.world.accountId}'`,
          ...metadata,
        });
      }
      const repository = {
        repositoryArn: repositoryArnOf(this.scope, name),
        registryId: this.world.accountId,
        repositoryName: name,
        repositoryUri: repositoryUriOf(this.scope, name),
        createdAt: new Date(0).toISOString(),
        imageTagMutability: input.imageTagMutability ?? 'MUTABLE',
        imageScanningConfiguration: input.imageScanningConfiguration ?? { scanOnPush: false },
        encryptionConfiguration: input.encryptionConfiguration ?? { encryptionType: 'AES256' },
        tags: structuredClone(input.tags ?? []),
        images: [],
      } as unknown as Repository;
      this.world.ecr.repositories.push(repository);
      return { repository: describeItem(repository) };
    });
    ecr.on(DeleteRepositoryCommand).callsFake(async (input: Item) => {
      const r = this.repository(input.repositoryName as string);
      if (!input.force && (r.images?.length ?? 0) > 0) {
        throw new RepositoryNotEmptyException({
          message: `The repository with name '${r.repositoryName}' in registry with id '${this.world.accountId}' cannot be deleted because it still contains images`,
          ...metadata,
        });
      }
      this.world.ecr.repositories = this.world.ecr.repositories.filter((x) => x !== r);
      return { repository: describeItem(r) };
    });
  }

  // -- CodeBuild ------------------------------------------------------------------------------------------

  private codebuild(): void {
    const codebuild = this.stub(this.clients.codebuild);
    const invalid = (message: string) => new InvalidInputException({ message, ...metadata });
    const projects = () => this.world.codebuild.projects;
    const notFound = (name: string) =>
      new ResourceNotFoundException({ message: `Project cannot be found: ${name}`, ...metadata });

    codebuild.on(ListProjectsCommand).callsFake(async (input: Item) => {
      const names = projects().map((p) => p.name);
      if (input.sortBy === 'NAME' || input.sortBy === undefined) names.sort();
      if (input.sortOrder === 'DESCENDING') names.reverse();
      const page = pageOf(names, LIST_PROJECTS_PAGE, input.nextToken as string, invalid);
      return { projects: page.items, ...(page.next ? { nextToken: page.next } : {}) };
    });
    codebuild.on(BatchGetProjectsCommand).callsFake(async (input: Item) => {
      const names = (input.names as string[] | undefined) ?? [];
      if (names.length < 1 || names.length > BATCH_GET_PROJECTS_MAX)
        throw invalid(
          `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to ${BATCH_GET_PROJECTS_MAX}`,
        );
      const found = names.flatMap((n) => projects().filter((p) => p.name === n || p.arn === n));
      const missing = names.filter((n) => !projects().some((p) => p.name === n || p.arn === n));
      return { projects: wire(structuredClone(found)), projectsNotFound: missing };
    });
    codebuild.on(CreateProjectCommand).callsFake(async (input: Item) => {
      const name = String(input.name);
      if (projects().some((p) => p.name === name))
        throw new ResourceAlreadyExistsException({ message: `Project already exists: ${name}`, ...metadata });
      if (!this.world.iam.roles.some((r) => r.Arn === input.serviceRole))
        throw invalid('CodeBuild is not authorized to perform: sts:AssumeRole on service role');
      const project = {
        ...structuredClone(input),
        arn: projectArnOf(this.scope, name),
        created: new Date(0).toISOString(),
        lastModified: new Date(0).toISOString(),
      } as Project;
      projects().push(project);
      return { project: wire(structuredClone(project)) };
    });
    codebuild.on(UpdateProjectCommand).callsFake(async (input: Item) => {
      const index = projects().findIndex((p) => p.name === input.name);
      if (index < 0) throw notFound(String(input.name));
      const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
      projects()[index] = { ...projects()[index]!, ...structuredClone(defined) } as Project;
      return { project: wire(structuredClone(projects()[index])) };
    });
    codebuild.on(DeleteProjectCommand).callsFake(async (input: Item) => {
      // DeleteProject answers success for a project that does not exist.
      this.world.codebuild.projects = projects().filter((p) => p.name !== input.name);
      return {};
    });
    codebuild.on(UpdateProjectVisibilityCommand).callsFake(async (input: Item) => {
      const project = projects().find((p) => p.arn === input.projectArn);
      if (!project) throw notFound(String(input.projectArn));
      project.projectVisibility = String(input.projectVisibility);
      return { projectArn: project.arn, projectVisibility: project.projectVisibility };
    });
  }

  // -- IAM ------------------------------------------------------------------------------------------------

  private role(name: unknown): Role {
    const role = this.world.iam.roles.find((r) => r.RoleName === name);
    if (!role)
      throw new NoSuchEntityException({
        message: `The role with name ${name} cannot be found.`,
        ...metadata,
      });
    return role;
  }

  private policy(arn: unknown): ManagedPolicy {
    const policy = this.world.iam.policies.find((p) => p.Arn === arn);
    if (!policy) {
      throw new NoSuchEntityException({
        message: `Policy ${arn} does not exist or is not attachable.`,
        ...metadata,
      });
    }
    return policy;
  }

  private refuseIam(): void {
    const refused = this.world.iam.unreadable;
    if (refused) throw refusal(refused.error);
  }

  private iam(): void {
    const iam = this.stub(this.clients.iam);
    const invalid = (message: string) => new Error(message);
    const roleDetail = (r: Role) =>
      wire({
        ...structuredClone(r),
        AssumeRolePolicyDocument: encoded(r.AssumeRolePolicyDocument),
        RolePolicyList: r.RolePolicyList.map((p) => ({
          PolicyName: p.PolicyName,
          PolicyDocument: encoded(p.PolicyDocument),
        })),
      });
    const policyDetail = (p: ManagedPolicy) =>
      wire({
        ...structuredClone(p),
        PolicyVersionList: p.PolicyVersionList.map((v) => ({ ...v, Document: encoded(v.Document) })),
      });

    iam.on(GetAccountAuthorizationDetailsCommand).callsFake(async (input: Item) => {
      this.refuseIam();
      const size = pageSize(input.MaxItems as number, IAM_DEFAULT_PAGE, IAM_PAGE_MAX, invalid);
      const items: ({ role: Role } | { policy: ManagedPolicy })[] = [
        ...this.world.iam.roles.map((role) => ({ role })),
        ...this.world.iam.policies.map((policy) => ({ policy })),
      ];
      const page = pageOf(items, size, input.Marker as string, invalid);
      return {
        RoleDetailList: page.items.flatMap((i) => ('role' in i ? [roleDetail(i.role)] : [])),
        Policies: page.items.flatMap((i) => ('policy' in i ? [policyDetail(i.policy)] : [])),
        UserDetailList: [],
        GroupDetailList: [],
        IsTruncated: page.next !== undefined,
        ...(page.next ? { Marker: page.next } : {}),
      };
    });
    iam.on(GetRoleCommand).callsFake(async (input: Item) => {
      this.refuseIam();
      const r = this.role(input.RoleName);
      const { RolePolicyList: _inline, AttachedManagedPolicies: _attached, ...role } = roleDetail(r);
      return { Role: role };
    });
    iam.on(ListRolePoliciesCommand).callsFake(async (input: Item) => {
      const r = this.role(input.RoleName);
      const size = pageSize(input.MaxItems as number, IAM_DEFAULT_PAGE, IAM_PAGE_MAX, invalid);
      const page = pageOf(
        r.RolePolicyList.map((p) => p.PolicyName),
        size,
        input.Marker as string,
        invalid,
      );
      return {
        PolicyNames: page.items,
        IsTruncated: !!page.next,
        ...(page.next ? { Marker: page.next } : {}),
      };
    });
    iam.on(GetRolePolicyCommand).callsFake(async (input: Item) => {
      const r = this.role(input.RoleName);
      const policy = r.RolePolicyList.find((p) => p.PolicyName === input.PolicyName);
      if (!policy) {
        throw new NoSuchEntityException({
          message: `The role policy with name ${input.PolicyName} cannot be found.`,
          ...metadata,
        });
      }
      return {
        RoleName: r.RoleName,
        PolicyName: policy.PolicyName,
        PolicyDocument: encoded(policy.PolicyDocument),
      };
    });
    iam.on(ListAttachedRolePoliciesCommand).callsFake(async (input: Item) => {
      const r = this.role(input.RoleName);
      const size = pageSize(input.MaxItems as number, IAM_DEFAULT_PAGE, IAM_PAGE_MAX, invalid);
      const page = pageOf(r.AttachedManagedPolicies, size, input.Marker as string, invalid);
      return {
        AttachedPolicies: structuredClone(page.items),
        IsTruncated: !!page.next,
        ...(page.next ? { Marker: page.next } : {}),
      };
    });
    iam.on(GetPolicyCommand).callsFake(async (input: Item) => {
      const { PolicyVersionList: _versions, ...policy } = policyDetail(this.policy(input.PolicyArn));
      return { Policy: policy };
    });
    iam.on(GetPolicyVersionCommand).callsFake(async (input: Item) => {
      const version = this.policy(input.PolicyArn).PolicyVersionList.find(
        (v) => v.VersionId === input.VersionId,
      );
      if (!version) {
        throw new NoSuchEntityException({
          message: `Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`,
          ...metadata,
        });
      }
      return { PolicyVersion: { ...version, Document: encoded(version.Document) } };
    });
    iam.on(ListEntitiesForPolicyCommand).callsFake(async (input: Item) => {
      const arn = input.PolicyArn;
      // Without PolicyUsageFilter both uses are listed: as a permissions policy and as a boundary.
      const using = this.world.iam.roles.filter(
        (r) =>
          r.AttachedManagedPolicies.some((p) => p.PolicyArn === arn) ||
          r.PermissionsBoundary?.PermissionsBoundaryArn === arn,
      );
      if (using.length === 0) this.policy(arn);
      const size = pageSize(input.MaxItems as number, IAM_DEFAULT_PAGE, IAM_PAGE_MAX, invalid);
      const page = pageOf(
        input.EntityFilter === undefined || input.EntityFilter === 'Role' ? using : [],
        size,
        input.Marker as string,
        invalid,
      );
      return {
        PolicyRoles: page.items.map((r) => ({
          RoleName: r.RoleName,
          ...(r.RoleId ? { RoleId: r.RoleId } : {}),
        })),
        PolicyUsers: [],
        PolicyGroups: [],
        IsTruncated: !!page.next,
        ...(page.next ? { Marker: page.next } : {}),
      };
    });

    // Writes.
    iam.on(PutRolePolicyCommand).callsFake(async (input: Item) => {
      const r = this.role(input.RoleName);
      const document = JSON.parse(
        String(input.PolicyDocument),
      ) as Role['RolePolicyList'][number]['PolicyDocument'];
      const existing = r.RolePolicyList.find((p) => p.PolicyName === input.PolicyName);
      if (existing) existing.PolicyDocument = document;
      else r.RolePolicyList.push({ PolicyName: String(input.PolicyName), PolicyDocument: document });
      return {};
    });
    iam.on(DetachRolePolicyCommand).callsFake(async (input: Item) => {
      const r = this.role(input.RoleName);
      if (!r.AttachedManagedPolicies.some((p) => p.PolicyArn === input.PolicyArn)) {
        throw new NoSuchEntityException({ message: `Policy ${input.PolicyArn} was not found.`, ...metadata });
      }
      r.AttachedManagedPolicies = r.AttachedManagedPolicies.filter((p) => p.PolicyArn !== input.PolicyArn);
      return {};
    });
    iam.on(DeleteRolePolicyCommand).callsFake(async (input: Item) => {
      const r = this.role(input.RoleName);
      if (!r.RolePolicyList.some((p) => p.PolicyName === input.PolicyName)) {
        throw new NoSuchEntityException({
          message: `The role policy with name ${input.PolicyName} cannot be found.`,
          ...metadata,
        });
      }
      r.RolePolicyList = r.RolePolicyList.filter((p) => p.PolicyName !== input.PolicyName);
      return {};
    });
    iam.on(CreateRoleCommand).callsFake(async (input: Item) => {
      if (this.world.iam.roles.some((r) => r.RoleName === input.RoleName)) {
        throw new EntityAlreadyExistsException({
          message: `Role with name ${input.RoleName} already exists.`,
          ...metadata,
        });
      }
      const path = (input.Path as string | undefined) ?? '/';
      const role = {
        RoleName: String(input.RoleName),
        Path: path,
        Arn: roleArnOf(this.scope, path, String(input.RoleName)),
        AssumeRolePolicyDocument: JSON.parse(String(input.AssumeRolePolicyDocument)),
        RolePolicyList: [],
        AttachedManagedPolicies: [],
        ...(input.PermissionsBoundary
          ? {
              PermissionsBoundary: {
                PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
                PermissionsBoundaryArn: String(input.PermissionsBoundary),
              },
            }
          : {}),
        Tags: structuredClone(input.Tags ?? []),
      } as unknown as Role;
      this.world.iam.roles.push(role);
      return { Role: roleDetail(role) };
    });
    iam.on(DeleteRoleCommand).callsFake(async (input: Item) => {
      const r = this.role(input.RoleName);
      if (r.RolePolicyList.length > 0 || r.AttachedManagedPolicies.length > 0) {
        throw new DeleteConflictException({
          message: 'Cannot delete entity, must detach all policies first.',
          ...metadata,
        });
      }
      this.world.iam.roles = this.world.iam.roles.filter((x) => x !== r);
      return {};
    });
    iam.on(UpdateAssumeRolePolicyCommand).callsFake(async (input: Item) => {
      this.role(input.RoleName).AssumeRolePolicyDocument = JSON.parse(String(input.PolicyDocument));
      return {};
    });
    iam.on(PutRolePermissionsBoundaryCommand).callsFake(async (input: Item) => {
      this.role(input.RoleName).PermissionsBoundary = {
        PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
        PermissionsBoundaryArn: String(input.PermissionsBoundary),
      };
      return {};
    });
  }

  // -- Organizations and SNS ------------------------------------------------------------------------------

  private others(): void {
    this.stub(this.clients.organizations)
      .on(DescribeOrganizationCommand)
      .callsFake(async () => {
        const id = this.world.organizationId;
        if (id === null) {
          throw new AWSOrganizationsNotInUseException({
            message: 'Your account is not a member of an organization.',
            ...metadata,
          });
        }
        if (id === undefined) {
          throw refusal('AccessDeniedException: You don’t have permissions to access this resource.');
        }
        // The documented DescribeOrganization answer, for this organization.
        const { Organization } = awsSample<{ Organization: Item }>(
          'api-organizations-describe-organization.botocore-example.json',
        );
        return { Organization: { ...Organization, Id: id } };
      });
    this.stub(this.clients.sns)
      .on(PublishCommand)
      .callsFake(async (input: PublishCommandInput) => {
        this.published.push(structuredClone(input));
        return { MessageId: `message-${this.published.length}` };
      });
    // PutObject to a versioned bucket answers the ETag (the body's MD5, quoted) and the version it wrote, as
    // botocore's example "To create an object"; another bucket does not exist.
    this.stub(this.clients.s3)
      .on(PutObjectCommand)
      .callsFake(async (input: PutObjectCommandInput) => {
        this.putObjectCalls += 1;
        if (input.Bucket !== this.reportsBucket) {
          throw new NoSuchBucket({ message: 'The specified bucket does not exist', ...metadata });
        }
        const body = String(input.Body);
        const key = input.Key!;
        const versions = this.objects.get(key) ?? [];
        const versionId = createHash('sha256')
          .update(`${key}#${versions.length}`)
          .digest('base64url')
          .slice(0, 32);
        versions.push({ versionId, body, contentType: input.ContentType ?? 'binary/octet-stream' });
        this.objects.set(key, versions);
        return { ETag: `"${createHash('md5').update(body).digest('hex')}"`, VersionId: versionId };
      });
  }
}
