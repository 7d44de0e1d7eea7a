/** CodeBuild adapter (read side): ListProjects + BatchGetProjects, 100 projects per call. */
import {
  BatchGetProjectsCommand,
  type CodeBuildClient,
  paginateListProjects,
  type Project as SdkProject,
} from '@aws-sdk/client-codebuild';
import type { ProjectReader } from '../ports';
import { BATCH_GET_PROJECTS_MAX } from '../policy/aws-facts';
import { projectSchema, unreadableProject, type Project } from '../policy/model';
import { codebuildClient } from './clients';

export const codebuildReadActions = ['codebuild:ListProjects', 'codebuild:BatchGetProjects'] as const;

/**
 * SDK output (Dates) → the BatchGetProjects JSON shape of the snapshot (ISO strings), through the schema. A
 * project that does not fit (a value AWS added to an enum buildwarden checks, say) becomes an unreadable
 * project naming the field: its rules say not-visible, the other projects are unaffected.
 */
export function toProject(p: SdkProject): Project {
  const raw: unknown = JSON.parse(JSON.stringify(p));
  const parsed = projectSchema().safeParse(raw);
  return parsed.success ? parsed.data : unreadableProject(raw, 'codebuild:BatchGetProjects', parsed.error);
}

export class CodeBuildProjects implements ProjectReader {
  constructor(private readonly client: CodeBuildClient = codebuildClient()) {}

  /**
   * The projects, a BatchGetProjects batch at a time. The next ListProjects page is asked for as soon as a
   * page has answered, so it is in flight while that page's projects are read.
   */
  async *projectPages(): AsyncIterable<Project[]> {
    const pages = paginateListProjects({ client: this.client }, { sortBy: 'NAME' })[Symbol.asyncIterator]();
    let batch: string[] = [];
    for (let listing = pages.next(); ;) {
      const page = await listing;
      if (page.done) break;
      batch.push(...(page.value.projects ?? []));
      listing = pages.next();
      // Raised where it is awaited; a listing nobody awaits any more (the reader stopped early) fails silently.
      listing.catch(() => undefined);
      while (batch.length >= BATCH_GET_PROJECTS_MAX) {
        yield await this.batchGet(batch.slice(0, BATCH_GET_PROJECTS_MAX));
        batch = batch.slice(BATCH_GET_PROJECTS_MAX);
      }
    }
    if (batch.length > 0) yield await this.batchGet(batch);
  }

  /** One project by name; undefined when it does not exist. */
  async project(name: string): Promise<Project | undefined> {
    return (await this.batchGet([name]))[0];
  }

  private async batchGet(names: string[]): Promise<Project[]> {
    const out = await this.client.send(new BatchGetProjectsCommand({ names }));
    return (out.projects ?? []).map(toProject);
  }
}
