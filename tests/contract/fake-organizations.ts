/**
 * AWS Organizations' account listings over the SDK mock, answering for a SIMULATED organization as the
 * Organizations API Reference describes them: ListAccounts, ListAccountsForParent and
 * ListOrganizationalUnitsForParent in pages of at most `pageSize` (and MaxResults) with a NextToken,
 * DescribeAccount, ParentNotFoundException / AccountNotFoundException for ids that do not exist. Accounts
 * carry `State` (and no retired `Status`), with the fields of the documented ListAccounts output.
 */
import {
  AccountNotFoundException,
  DescribeAccountCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
  ParentNotFoundException,
  type Account,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import type { SimulatedOrganization } from '../../lib/sandbox/targets';

const ORG = 'o-exampleorgid';
const MANAGEMENT = '111111111111';

function accountOf(a: SimulatedOrganization['accounts'][number]): Account {
  return {
    Id: a.id,
    Arn: `arn:aws:organizations::${MANAGEMENT}:account/${ORG}/${a.id}`,
    Email: `${a.id}@example.com`,
    ...(a.name ? { Name: a.name } : {}),
    State: a.state as Account['State'],
    JoinedMethod: 'CREATED',
    JoinedTimestamp: new Date('2026-01-01T00:00:00Z'),
  };
}

/** One page of `items` from `token` (an offset), and the next token when more remain. */
function page<T>(items: T[], token: string | undefined, max: number | undefined, pageSize: number) {
  const start = token ? Number(token) : 0;
  const size = Math.min(max ?? pageSize, pageSize);
  const next = start + size < items.length ? String(start + size) : undefined;
  return { items: items.slice(start, start + size), ...(next ? { NextToken: next } : {}) };
}

/** An OrganizationsClient answering for `organization`; `client` is the one to give the adapter. */
export function fakeOrganizations(organization: SimulatedOrganization, pageSize = 2) {
  const client = new OrganizationsClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  const parentExists = (id: string) =>
    id === organization.rootId || organization.organizationalUnits.some((u) => u.id === id);
  const notFound = () =>
    new ParentNotFoundException({
      message: 'We can\u2019t find a root or OU with the ParentId that you specified.',
      $metadata: {},
    });

  mock.on(ListAccountsCommand).callsFake((input: { NextToken?: string; MaxResults?: number }) => {
    const { items, ...rest } = page(
      organization.accounts.map(accountOf),
      input.NextToken,
      input.MaxResults,
      pageSize,
    );
    return { Accounts: items, ...rest };
  });
  mock
    .on(ListAccountsForParentCommand)
    .callsFake((input: { ParentId: string; NextToken?: string; MaxResults?: number }) => {
      if (!parentExists(input.ParentId)) throw notFound();
      const under = organization.accounts.filter((a) => a.parentId === input.ParentId).map(accountOf);
      const { items, ...rest } = page(under, input.NextToken, input.MaxResults, pageSize);
      return { Accounts: items, ...rest };
    });
  mock
    .on(ListOrganizationalUnitsForParentCommand)
    .callsFake((input: { ParentId: string; NextToken?: string; MaxResults?: number }) => {
      if (!parentExists(input.ParentId)) throw notFound();
      const units = organization.organizationalUnits
        .filter((u) => u.parentId === input.ParentId)
        .map((u) => ({
          Id: u.id,
          Arn: `arn:aws:organizations::${MANAGEMENT}:ou/${ORG}/${u.id}`,
          Name: u.id,
        }));
      const { items, ...rest } = page(units, input.NextToken, input.MaxResults, pageSize);
      return { OrganizationalUnits: items, ...rest };
    });
  mock.on(DescribeAccountCommand).callsFake((input: { AccountId: string }) => {
    const account = organization.accounts.find((a) => a.id === input.AccountId);
    if (!account) {
      throw new AccountNotFoundException({
        message: 'We can\u2019t find an AWS account with the AccountId that you specified.',
        $metadata: {},
      });
    }
    return { Account: accountOf(account) };
  });
  return { client, mock };
}
