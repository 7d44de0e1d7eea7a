/** Wiring of the image action handler: the verdict store and build ledger, and DescribeImages. */
import { EcrImages } from '../aws/images';
import type { ImageActionDeps } from '../usecases/scan-gate';
import type { Wiring } from './core';
import { dynamoVerdicts } from './verdicts';

export const imageActionWiring: Wiring<ImageActionDeps> = {
  aws: (account, config) => ({ account, verdicts: dynamoVerdicts(config), images: new EcrImages() }),
  sandbox: (s) => s.ports(),
};
