/** `ecr.scan-on-push`: the repository's images are scanned on push (by the repository or a registry rule). */
import { matchesEcrScanFilter } from '../../wildcard';
import { compliant, violation } from '../outcomes';
import type { RepositoryRule } from '../types';

export const scanOnPushRule: RepositoryRule = (repository, ctx) => {
  const registry = ctx.view.registryScanning;
  const name = repository.repositoryName;
  const matching = (registry?.rules ?? []).filter(
    (rule) =>
      rule.scanFrequency !== 'MANUAL' &&
      rule.repositoryFilters.some((f) => matchesEcrScanFilter(name, f.filter)),
  );
  if (registry?.scanType === 'ENHANCED') {
    // With enhanced scanning, repository-level scanOnPush is ignored; only registry rules count.
    if (matching.length > 0) {
      return compliant(`covered by enhanced scanning (${matching.map((r) => r.scanFrequency).join(', ')})`);
    }
    return violation('enhanced scanning is on but no registry rule covers this repository', true, {
      scanType: 'ENHANCED',
    });
  }
  if (repository.imageScanningConfiguration?.scanOnPush === true) return compliant('scan on push is enabled');
  const onPush = matching.filter((r) => r.scanFrequency === 'SCAN_ON_PUSH');
  if (onPush.length > 0) return compliant('covered by a registry scan-on-push rule');
  if (ctx.view.registryScanningUnreadable) {
    return {
      status: 'not-visible',
      message:
        'scan on push is off on the repository and the registry scanning configuration could not be read',
    };
  }
  return violation(
    'images are not scanned on push (repository scanOnPush is off and no registry rule matches)',
    true,
    {
      scanType: registry?.scanType ?? 'BASIC',
    },
  );
};
