/** The sandbox's ProjectReader: ListProjects and BatchGetProjects, 100 projects a call. */
import type { ProjectReader } from '../ports';
import type { Project } from '../policy/model';
import { BATCH_GET_PROJECTS_MAX } from '../policy/aws-facts';
import { resumablePages, type SandboxState } from './state';

export class SandboxProjects implements ProjectReader {
  constructor(private readonly state: SandboxState) {}

  projectPages(): AsyncIterable<Project[]> {
    const all = this.state.snapshot.codebuild.projects;
    return resumablePages(async (page) => {
      const start = page * BATCH_GET_PROJECTS_MAX;
      // ListProjects returns at most 100 names a page, as many as one BatchGetProjects takes.
      if (start === 0 || start < all.length) await this.state.call('codebuild:ListProjects');
      if (start >= all.length) return undefined;
      await this.state.call('codebuild:BatchGetProjects');
      return structuredClone(all.slice(start, start + BATCH_GET_PROJECTS_MAX));
    });
  }

  async project(name: string): Promise<Project | undefined> {
    await this.state.call('codebuild:BatchGetProjects');
    return structuredClone(this.state.snapshot.codebuild.projects.find((p) => p.name === name));
  }
}
