/**
 * The sandbox's ProvisioningClaims: in memory, with the conditional write's semantics. The file-backed local
 * stack runs one invocation at a time (lib/sandbox/local-stage.ts), so claims never outlive an invocation there.
 */
import type { NameClaim, ProvisioningClaims } from '../ports';
import type { SandboxState } from './state';

export class SandboxClaims implements ProvisioningClaims {
  constructor(private readonly state: SandboxState) {}

  private readonly claims = new Map<string, NameClaim>();

  async claimName(
    claim: Omit<NameClaim, 'state'>,
    now: number,
  ): Promise<{ claimed: true } | { claimed: false; holder: NameClaim }> {
    await this.state.call('dynamodb:PutItem');
    const held = this.claims.get(claim.name);
    if (held && held.state === 'in-progress' && held.expiresAt >= now) {
      await this.state.call('dynamodb:GetItem');
      return { claimed: false, holder: structuredClone(held) };
    }
    this.claims.set(claim.name, { ...claim, state: 'in-progress' });
    return { claimed: true };
  }

  async readClaim(name: string): Promise<NameClaim | undefined> {
    await this.state.call('dynamodb:GetItem');
    return structuredClone(this.claims.get(name));
  }

  async endClaim(
    name: string,
    token: string,
    state: 'succeeded' | 'failed',
    keepUntil: number,
  ): Promise<void> {
    await this.state.call('dynamodb:UpdateItem');
    const held = this.claims.get(name);
    if (held?.token === token) this.claims.set(name, { ...held, state, expiresAt: keepUntil });
  }
}
