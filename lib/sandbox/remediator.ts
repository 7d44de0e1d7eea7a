/** The sandbox's Remediator: each write through the adapters' translation of AWS errors, as AwsRemediator. */
import { translated } from '../aws/errors';
import type { Remediator } from '../ports';
import type { RemediationWrite } from '../policy/remediation';
import type { SandboxState } from './state';
import { applyWrite } from './writes';

/** As the AWS adapter: the simulated AWS errors are translated into domain errors (lib/aws/errors.ts). */
export class SandboxRemediator implements Remediator {
  constructor(private readonly state: SandboxState) {}

  async apply(write: RemediationWrite): Promise<void> {
    return translated(() => applyWrite(this.state, write));
  }
}
