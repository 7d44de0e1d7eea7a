/**
 * The deploy gate. Trigger: HTTP API `GET /images/{proxy+}` (AWS_IAM authorization), serving
 * `/images/{repository}/{digest}/verdict` for the deployment's own account and region: 200 with the stored
 * verdict (`deleted` for an image deleted after its last scan), 404 while the image has not been scanned (a
 * gate blocks on that), 400 for a malformed repository or digest.
 */
import { httpHandler, NotFoundError } from '../lib/http';
import { withAccount } from '../lib/runtime/core';
import { verdictWiring } from '../lib/runtime/verdicts';
import { parseVerdictPath } from '../lib/policy/gate-request';
import { imageVerdict } from '../lib/usecases/scan-gate';

export const handler = httpHandler(async (event) => {
  const { repositoryName, imageDigest } = parseVerdictPath(event.pathParameters?.proxy ?? '');
  const verdict = await withAccount(verdictWiring, (deps) =>
    imageVerdict(deps.verdicts, {
      registryId: deps.account.accountId,
      region: deps.account.region,
      repositoryName,
      imageDigest,
    }),
  );
  if (!verdict)
    throw new NotFoundError(
      `no verdict for ${repositoryName}@${imageDigest}: the image has not been scanned yet`,
    );
  return { status: 200, body: verdict };
});
