/**
 * The sandbox's VerdictStore: verdicts and build records kept in the snapshot's own section, written under the
 * rule the DynamoDB store's conditions apply (`staleVerdictReason`).
 */
import type { ImageRef, RepositoryRef, StoredVerdict, VerdictStore, VerdictWrite } from '../ports';
import { BUILDS_WINDOW, newestBuildFirst, type BuildRecord } from '../policy/builds';
import { deletionRefusal, staleVerdictReason } from '../policy/scan/verdict';
import type { SandboxState } from './state';

export class SandboxVerdictStore implements VerdictStore {
  constructor(private readonly state: SandboxState) {}

  private get own() {
    return (this.state.snapshot.buildwarden ??= { verdicts: [], builds: [] });
  }

  /**
   * The stored record of an image. Records are matched on registry, region, repository and digest; a record
   * without a registry (written before verdicts named one) matches nothing.
   */
  private record(image: ImageRef): Partial<StoredVerdict> | undefined {
    const list = this.own.verdicts as unknown as Partial<StoredVerdict>[];
    return list.find(
      (v) =>
        v.registryId === image.registryId &&
        v.region === image.region &&
        v.repositoryName === image.repositoryName &&
        v.imageDigest === image.imageDigest,
    );
  }

  /** Same rule as the DynamoDB condition expression: `staleVerdictReason`. */
  async putVerdict(verdict: StoredVerdict): Promise<VerdictWrite> {
    await this.state.call('dynamodb:UpdateItem');
    const list = this.own.verdicts as unknown as Partial<StoredVerdict>[];
    const found = this.record(verdict);
    const stale = staleVerdictReason(
      found?.scannedAt !== undefined ? (found as StoredVerdict) : undefined,
      verdict,
    );
    if (stale) return { written: false, reason: stale };
    const { deletedAt: _deletedAt, verdictBeforeDeletion: _before, ...fields } = verdict;
    const producedBy = verdict.producedBy ?? found?.producedBy;
    const record = structuredClone({ ...fields, ...(producedBy ? { producedBy } : {}) });
    if (found) list[list.indexOf(found)] = record;
    else list.push(record);
    return { written: true };
  }

  async getVerdict(image: ImageRef): Promise<StoredVerdict | undefined> {
    await this.state.call('dynamodb:GetItem');
    const found = this.record(image);
    return found && typeof found.verdict === 'string' ? (structuredClone(found) as StoredVerdict) : undefined;
  }

  /** As the adapter marks it: the verdict is read (GetItem), then written unless refused (UpdateItem). */
  async markDeleted(image: ImageRef, deletedAt: string): Promise<VerdictWrite> {
    await this.state.call('dynamodb:GetItem');
    const found = this.record(image);
    const hasVerdict = typeof found?.verdict === 'string' && found.scannedAt !== undefined;
    const refused = deletionRefusal(hasVerdict ? (found as StoredVerdict) : undefined, deletedAt);
    if (refused !== undefined) return { written: false, reason: refused };
    const read = { verdict: found!.verdict, scannedAt: found!.scannedAt };
    await this.state.call('dynamodb:UpdateItem');
    // Conditional on the item as it was read, as the adapter's update is.
    const stored = this.record(image) as StoredVerdict | undefined;
    if (!stored || stored.verdict !== read.verdict || stored.scannedAt !== read.scannedAt) {
      return { written: false, reason: 'the verdict changed while the deletion was being recorded' };
    }
    stored.verdictBeforeDeletion = stored.verdict as StoredVerdict['verdictBeforeDeletion'];
    stored.verdict = 'deleted';
    stored.deletedAt = deletedAt;
    return { written: true };
  }

  async storedImage(
    image: ImageRef,
  ): Promise<{ verdict: StoredVerdict | undefined; producedBy: StoredVerdict['producedBy'] }> {
    await this.state.call('dynamodb:GetItem');
    const found = this.record(image);
    return structuredClone({
      verdict: found && typeof found.verdict === 'string' ? (found as StoredVerdict) : undefined,
      producedBy: found?.producedBy,
    });
  }

  async producerOf(image: ImageRef): Promise<StoredVerdict['producedBy']> {
    await this.state.call('dynamodb:GetItem');
    return structuredClone(this.record(image)?.producedBy);
  }

  async recordProducer(image: ImageRef, producedBy: NonNullable<StoredVerdict['producedBy']>): Promise<void> {
    await this.state.call('dynamodb:UpdateItem');
    const found = this.record(image);
    if (found) found.producedBy = structuredClone(producedBy);
    else {
      const { registryId, region, repositoryName, imageDigest } = image;
      const list = this.own.verdicts as unknown as Partial<StoredVerdict>[];
      list.push({ registryId, region, repositoryName, imageDigest, producedBy: structuredClone(producedBy) });
    }
  }

  async recordBuild(build: BuildRecord): Promise<void> {
    await this.state.call('dynamodb:PutItem');
    if (!build.registryId || !build.region || !build.repositoryName)
      throw new Error('a build is recorded under its target repository: registryId, region, repositoryName');
    const list = this.own.builds as unknown as BuildRecord[];
    const index = list.findIndex((b) => b.id === build.id);
    if (index >= 0) list[index] = structuredClone(build);
    else list.push(structuredClone(build));
  }

  /** As the builds table's query: the most recent first, at most BUILDS_WINDOW. */
  async buildsFor(repository: RepositoryRef): Promise<BuildRecord[]> {
    await this.state.call('dynamodb:Query');
    return structuredClone(
      (this.own.builds as unknown as BuildRecord[])
        .filter(
          (b) =>
            b.registryId === repository.registryId &&
            b.region === repository.region &&
            b.repositoryName === repository.repositoryName,
        )
        .sort(newestBuildFirst)
        .slice(0, BUILDS_WINDOW),
    );
  }
}
