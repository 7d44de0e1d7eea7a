/**
 * The functions' environment in the packaged template: every variable buildwarden reads is a setting of
 * lib/settings.ts, under its one name; the others are the runtime's own (Node, Powertools, the SDK).
 */
import { SETTING_NAMES } from '../../../lib/settings';
import { packagedTemplate, type Template } from '../../fixtures/package-template';

/** Read by Node, Powertools and the SDK, not by buildwarden's code. */
const RUNTIME_VARIABLES = [
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_LOG_LEVEL',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
];

let template: Template;

beforeAll(() => {
  template = packagedTemplate();
}, 120_000);

function functionVariables(): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([name, resource]) => {
        const environment = resource.Properties.Environment as
          { Variables?: Record<string, unknown> } | undefined;
        return [name, Object.keys(environment?.Variables ?? {}).sort()];
      }),
  );
}

describe('the functions’ environment', () => {
  it('holds only settings and runtime variables', () => {
    // Act
    const strays = Object.entries(functionVariables()).flatMap(([fn, names]) =>
      names
        .filter((name) => !(SETTING_NAMES as string[]).includes(name) && !RUNTIME_VARIABLES.includes(name))
        .map((name) => `${fn}: ${name}`),
    );

    // Assess
    expect(Object.keys(functionVariables()).length).toBeGreaterThan(0);
    expect(strays).toEqual([]);
  });

  it('gives every function its stage, as every function requires it', () => {
    // Act
    const without = Object.entries(functionVariables())
      .filter(([, names]) => !names.includes('BUILDWARDEN_STAGE'))
      .map(([fn]) => fn);

    // Assess
    expect(without).toEqual([]);
  });

  it('does not load source maps at init unless the stage asks for it (param sourceMaps)', () => {
    // Act
    const nodeOptions = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([, resource]) => {
        const environment = resource.Properties.Environment as
          { Variables?: Record<string, unknown> } | undefined;
        return String(environment?.Variables?.NODE_OPTIONS ?? '');
      });

    // Assess
    expect(nodeOptions.length).toBeGreaterThan(0);
    expect(nodeOptions.filter((options) => options.includes('--enable-source-maps'))).toEqual([]);
  });
});
