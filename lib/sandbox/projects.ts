/** The sandbox's ProjectReader: ListProjects and BatchGetProjects, 100 projects a call. */
import type { ProjectReader } from '../ports';
import type { Project } from '../policy/model';
import { BATCH_GET_PROJECTS_MAX } from '../policy/aws-facts';
import { resumablePages, type SandboxState } from './state';

export class SandboxProjects implements ProjectReader {
  constructor(private readonly state: SandboxState) {}

  /**
   * As the adapter reads them: ListProjects returns at most 100 names a page, as many as one BatchGetProjects
   * takes; the next ListProjects page is in flight while a page's projects are read, and its failure is raised
   * when that page is asked for (asking again lists it again).
   */
  projectPages(): AsyncIterable<Project[]> {
    const all = this.state.snapshot.codebuild.projects;
    const lists = Math.max(1, Math.ceil(all.length / BATCH_GET_PROJECTS_MAX));
    const listed = new Map<number, Promise<void>>();
    const list = (page: number): Promise<void> => {
      let listing = listed.get(page);
      if (!listing) {
        listing = this.state.call('codebuild:ListProjects');
        listing.catch(() => undefined);
        listed.set(page, listing);
      }
      return listing;
    };
    return resumablePages(async (page) => {
      if (page >= lists) return undefined;
      await list(page).catch((error: unknown) => {
        listed.delete(page);
        throw error;
      });
      const start = page * BATCH_GET_PROJECTS_MAX;
      if (start >= all.length) return undefined;
      if (page + 1 < lists) void list(page + 1);
      await this.state.call('codebuild:BatchGetProjects');
      return structuredClone(all.slice(start, start + BATCH_GET_PROJECTS_MAX));
    });
  }

  async project(name: string): Promise<Project | undefined> {
    await this.state.call('codebuild:BatchGetProjects');
    return structuredClone(this.state.snapshot.codebuild.projects.find((p) => p.name === name));
  }
}
