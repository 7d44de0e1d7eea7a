/**
 * The deploy gate. Trigger: HTTP API `GET /images/{proxy+}` (AWS_IAM authorization), serving
 * `/images/{repository}/{digest}/verdict[?account=&region=]` (default: the deployment's own account and region;
 * in organization mode a member account's images are gated the same way): 200 with the stored
 * verdict (`deleted` for an image deleted after its last scan), 404 while the image has not been scanned (a
 * gate blocks on that), 400 for a malformed repository or digest.
 */
import { NotFoundError } from '../lib/errors';
import { dynamoVerdicts } from '../lib/runtime/tables';
import { httpHandler, route } from '../lib/runtime/http-handler';
import { parseVerdictPath, parseVerdictPlace } from '../lib/policy/gate-request';
import { imageVerdict } from '../lib/usecases/scan-gate';

const needs = [dynamoVerdicts] as const;

export const verdictApi = {
  needs,
  metrics: { function: 'verdictApi' },
  routes: {
    'GET /images/{proxy+}': route(needs, {
      parse: (request) => ({
        ...parseVerdictPath(request.rawPath('proxy')),
        ...parseVerdictPlace(request.query('account'), request.query('region')),
      }),
      async run({ repositoryName, imageDigest, accountId, region }, deps) {
        // Verdicts are kept by account and Region: a member account's are in the same table.
        const verdict = await imageVerdict(deps.verdicts, {
          registryId: accountId ?? deps.account.accountId,
          region: region ?? deps.account.region,
          repositoryName,
          imageDigest,
        });
        if (!verdict)
          throw new NotFoundError(
            `no verdict for ${repositoryName}@${imageDigest}: the image has not been scanned yet`,
          );
        return { status: 200, body: verdict };
      },
    }),
  },
};

export const handler = httpHandler(verdictApi);
