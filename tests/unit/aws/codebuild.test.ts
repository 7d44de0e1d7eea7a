import { BatchGetProjectsCommand, CodeBuildClient, ListProjectsCommand } from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CodeBuildProjects, codebuildReadActions } from '../../../lib/aws/codebuild';
import type { Project } from '../../../lib/policy/model';
import { awsSample } from '../../fixtures/load';
import { SdkGate } from '../../fixtures/sdk-gate';

const codebuild = mockClient(CodeBuildClient);

/** The official BatchGetProjects sample's first project, renamed; dates as the SDK returns them (Date). */
function sdkProject(name: string) {
  const sample = awsSample<{ projects: Record<string, unknown>[] }>(
    'api-codebuild-batch-get-projects.aws-cli.json',
  ).projects[0]!;
  return {
    ...sample,
    name,
    arn: `arn:aws:codebuild:us-east-1:123456789012:project/${name}`,
    created: new Date((sample.created as number) * 1000),
    lastModified: new Date((sample.lastModified as number) * 1000),
  };
}

beforeEach(() => codebuild.reset());

describe('CodeBuildProjects', () => {
  test('reads 250 projects listed over two pages with three BatchGetProjects calls of at most 100 names', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    codebuild
      .on(ListProjectsCommand, { nextToken: undefined })
      .resolves({ projects: names.slice(0, 150), nextToken: 't1' })
      .on(ListProjectsCommand, { nextToken: 't1' })
      .resolves({ projects: names.slice(150) });
    codebuild
      .on(BatchGetProjectsCommand)
      .callsFake((input: { names: string[] }) => ({ projects: input.names.map(sdkProject) }));

    const seen: string[] = [];
    for await (const page of new CodeBuildProjects(
      new CodeBuildClient({ region: 'us-east-1' }),
    ).projectPages()) {
      seen.push(...page.map((p) => p.name));
    }

    expect(seen).toEqual(names);
    const batches = codebuild.commandCalls(BatchGetProjectsCommand).map((c) => c.args[0].input.names!.length);
    expect(batches).toEqual([100, 100, 50]);
  });

  test("has the next ListProjects page in flight while a page's projects are read", async () => {
    // Prepare: the second page and the first batch record that they were sent and answer once the gate opens
    const names = Array.from({ length: 150 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    const gate = new SdkGate();
    codebuild
      .on(ListProjectsCommand, { nextToken: undefined })
      .resolves({ projects: names.slice(0, 100), nextToken: 't1' })
      .on(ListProjectsCommand, { nextToken: 't1' })
      .callsFake(gate.answer('ListProjects t1', () => ({ projects: names.slice(100) })));
    codebuild.on(BatchGetProjectsCommand).callsFake(
      gate.answer(
        (input: { names: string[] }) => `BatchGetProjects ${input.names[0]}`,
        (input: { names: string[] }) => ({ projects: input.names.map(sdkProject) }),
      ),
    );
    const pages = new CodeBuildProjects(new CodeBuildClient({ region: 'us-east-1' })).projectPages();

    // Act
    const iterator = pages[Symbol.asyncIterator]();
    const { inFlight, result: first } = await gate.inFlight(() => iterator.next(), 2);
    const seen = [first.value as Project[]];
    for (let page = await iterator.next(); !page.done; page = await iterator.next()) seen.push(page.value);

    // Assess
    expect(inFlight).toEqual(['BatchGetProjects p000', 'ListProjects t1']);
    expect(seen.flat().map((p) => p.name)).toEqual(names);
  });

  test('maps SDK dates to ISO text, as a snapshot stores them', async () => {
    codebuild.on(BatchGetProjectsCommand).resolves({ projects: [sdkProject('demo')] });

    const project = await new CodeBuildProjects(new CodeBuildClient({ region: 'us-east-1' })).project('demo');

    expect(project?.created).toBe('2018-10-26T21:08:11.108Z');
  });

  test('a project that does not exist is undefined', async () => {
    codebuild.on(BatchGetProjectsCommand).resolves({ projects: [], projectsNotFound: ['nope'] });

    expect(
      await new CodeBuildProjects(new CodeBuildClient({ region: 'us-east-1' })).project('nope'),
    ).toBeUndefined();
  });

  test('a project AWS returns in a shape buildwarden cannot use is unreadable, naming the field; the others are read', async () => {
    const base = sdkProject('odd') as Record<string, unknown>;
    const odd = {
      ...base,
      environment: {
        ...(base.environment as object),
        environmentVariables: [{ name: 'TOKEN', value: 'x', type: 'SOME_NEW_TYPE' }],
      },
    };
    codebuild.on(ListProjectsCommand).resolves({ projects: ['a', 'odd'] });
    codebuild.on(BatchGetProjectsCommand).resolves({ projects: [sdkProject('a'), odd] as never });

    const projects: Project[] = [];
    for await (const page of new CodeBuildProjects(
      new CodeBuildClient({ region: 'us-east-1' }),
    ).projectPages())
      projects.push(...page);

    expect(projects[0]!.unreadable).toBeUndefined();
    expect(projects[1]).toEqual({
      name: 'odd',
      arn: 'arn:aws:codebuild:us-east-1:123456789012:project/odd',
      unreadable: {
        call: 'codebuild:BatchGetProjects',
        error: expect.stringMatching(/^environment\.environmentVariables\[0\]\.type: /),
      },
    });
  });

  test('sends only the actions it declares', async () => {
    codebuild.on(ListProjectsCommand).resolves({ projects: ['a'] });
    codebuild.on(BatchGetProjectsCommand).resolves({ projects: [sdkProject('a')] });

    for await (const _ of new CodeBuildProjects(new CodeBuildClient({ region: 'us-east-1' })).projectPages())
      void _;

    const sent = new Set(
      codebuild
        .calls()
        .map((c) => `codebuild:${(c.args[0] as object).constructor.name.replace(/Command$/, '')}`),
    );
    expect([...sent].sort()).toEqual([...codebuildReadActions].sort());
  });
});
