/**
 * The HTTP functions route by route key (lib/runtime/http-handler.ts): each function's routes are exactly the
 * `httpApi` events serverless.yml gives it, so a route deployed without code (a 404 for every call) or code
 * no route reaches fails here, naming both.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectsApi } from '../../../functions/projects-api';
import { verdictApi } from '../../../functions/verdict-api';
import { REPO_ROOT } from '../../fixtures/load';

type HttpEvent = { httpApi?: { method: string; path: string } };
type Service = { functions: Record<string, { events?: HttpEvent[] }> };

/** `GET /projects/{proxy+}` for each httpApi event of a function in serverless.yml. */
function deployedRoutes(fn: string): string[] {
  const service = parse(readFileSync(path.join(REPO_ROOT, 'serverless.yml'), 'utf8')) as Service;
  return (service.functions[fn]?.events ?? [])
    .flatMap((e) => (e.httpApi ? [`${e.httpApi.method.toUpperCase()} ${e.httpApi.path}`] : []))
    .sort();
}

describe('HTTP routes', () => {
  it.each([
    ['verdictApi', Object.keys(verdictApi.routes)],
    ['projectsApi', Object.keys(projectsApi.routes)],
  ])('%s handles exactly the routes it is deployed with', (fn, routes) => {
    // Act
    const deployed = deployedRoutes(fn);

    // Assess
    expect(deployed.length).toBeGreaterThan(0);
    expect([...routes].sort()).toEqual(deployed);
  });
});
