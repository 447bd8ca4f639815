import { graphql, rest, REST_HUB_KEYS, type TestGateway } from '../support/gateway';

/** A hub as both transports can show it (REST's six fields). */
export interface HubView {
  hubId: string;
  tenantId: string;
  name: string;
  description: string;
  closeDormantConversation: number;
  statusId: number;
}

export interface PageView {
  pageNumber: number;
  pageSize: number;
  total: number;
  results: HubView[];
}

export type Failure = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'INVALID' | 'NAME_TAKEN' | 'NOT_FOUND' | 'OTHER';

/** What an operation came to, in words that mean the same on every transport. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: Failure; codes: number[] };

export interface HubInputView {
  name?: string;
  description?: string;
  closeDormantConversation?: number | null;
  statusId?: number;
}

/** One way of reaching the gateway; the behaviour suite runs every case through each. */
export interface Transport {
  readonly name: string;
  create(token: string | undefined, input: HubInputView): Promise<Outcome<HubView>>;
  /** A hub that does not exist for the caller comes back as null. */
  get(token: string | undefined, hubId: string): Promise<Outcome<HubView | null>>;
  update(token: string | undefined, hubId: string, input: HubInputView): Promise<Outcome<HubView>>;
  delete(token: string | undefined, hubId: string): Promise<Outcome<HubView>>;
  list(token: string | undefined, page?: { pageNumber: number; pageSize: number }): Promise<Outcome<PageView>>;
}

const REST_FAILURES: Record<number, Failure> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

export function restTransport(gateway: TestGateway): Transport {
  const call = async <T>(method: string, path: string, token: string | undefined, body?: unknown): Promise<Outcome<T>> => {
    const result = await rest<T & { errors?: { code: number }[] }>(gateway, method, `/api/v1/hubs${path}`, { token, body });
    if (result.status === 200) return { ok: true, value: result.body };
    const codes = (result.body.errors ?? []).map((error) => error.code);
    const failure = REST_FAILURES[result.status] ?? (result.status === 400 ? (codes.includes(600) ? 'NAME_TAKEN' : 'INVALID') : 'OTHER');
    return { ok: false, failure, codes };
  };
  return {
    name: 'REST',
    create: (token, input) => call('POST', '', token, input),
    async get(token, hubId) {
      const outcome = await call<HubView>('GET', `/${hubId}`, token);
      return !outcome.ok && outcome.failure === 'NOT_FOUND' ? { ok: true, value: null } : outcome;
    },
    update: (token, hubId, input) => call('PUT', `/${hubId}`, token, input),
    delete: (token, hubId) => call('DELETE', `/${hubId}`, token),
    list: (token, page) => call('GET', page ? `?pageNumber=${page.pageNumber}&pageSize=${page.pageSize}` : '', token),
  };
}

/** Exactly REST's keys, so that both transports' hubs compare equal. */
const HUB = REST_HUB_KEYS.join(' ');
const GRAPHQL_FAILURES: Record<string, Failure> = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'INVALID',
  CONFLICT: 'NAME_TAKEN',
  NOT_FOUND: 'NOT_FOUND',
};

export function graphqlTransport(gateway: TestGateway): Transport {
  const call = async <T>(field: string, query: string, token: string | undefined, variables: Record<string, unknown>): Promise<Outcome<T>> => {
    const result = await graphql<Record<string, T>>(gateway, query, { token, variables });
    const error = result.body.errors?.[0];
    if (error === undefined) return { ok: true, value: result.body.data![field] as T };
    const problems = (error.extensions.problems as { errorCode: string }[] | undefined) ?? [];
    const codes = problems.length > 0 ? problems.map((p) => Number(p.errorCode.slice(3))) : [Number(String(error.extensions.errorCode).slice(3))];
    return { ok: false, failure: GRAPHQL_FAILURES[error.extensions.code] ?? 'OTHER', codes };
  };
  // GraphQL's status enum for REST's statusId; a status REST does not support is one GraphQL lacks.
  const STATUS: Record<number, string> = { 2000: 'ACTIVE', 2002: 'PAUSED' };
  const toInput = ({ statusId, ...rest }: HubInputView) => ({
    ...rest,
    ...(statusId === undefined ? {} : { status: STATUS[statusId] ?? 'UNSUPPORTED' }),
  });
  return {
    name: 'GraphQL',
    create: (token, input) =>
      call('createHub', `mutation($input: CreateHubInput!) { createHub(input: $input) { ${HUB} } }`, token, { input: toInput(input) }),
    get: (token, hubId) => call('hub', `query($hubId: ID!) { hub(hubId: $hubId) { ${HUB} } }`, token, { hubId }),
    update: (token, hubId, input) =>
      call('updateHub', `mutation($hubId: ID!, $input: UpdateHubInput!) { updateHub(hubId: $hubId, input: $input) { ${HUB} } }`, token, {
        hubId,
        input: toInput(input),
      }),
    delete: (token, hubId) => call('deleteHub', `mutation($hubId: ID!) { deleteHub(hubId: $hubId) { ${HUB} } }`, token, { hubId }),
    list: (token, page) =>
      call(
        'hubs',
        `query($pageNumber: Int! = 0, $pageSize: Int! = 50) { hubs(pageNumber: $pageNumber, pageSize: $pageSize) { pageNumber pageSize total results { ${HUB} } } }`,
        token,
        { ...page },
      ),
  };
}
