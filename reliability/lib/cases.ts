import type { RawRequest, RawResponse } from './http.ts';

/** What a run shares with every case it generates. */
export interface FuzzContext {
  /** Uploader (a user on the Enterprise tier) and admin tokens. */
  userToken: string;
  adminToken: string;
  /** Ids of images the uploader really has, so some generated ids hit real rows. */
  knownImageIds: string[];
  /** Signed thumbnail paths of those images, to mutate. */
  knownLinks: string[];
  maxPixels: number;
  maxUploadBytes: number;
}

/** One generated request and the judge of its answer. */
export interface FuzzCase {
  kind: 'upload' | 'graphql' | 'link';
  /** Finer family, for the summary (e.g. `upload/bad-map`). */
  family: string;
  /** Enough to see what was sent, for a failure message. */
  label: string;
  request: RawRequest;
  /** Undefined when the answer is acceptable, else why not. */
  judge(response: RawResponse, json: unknown): string | undefined;
  /** Ids of images this request stored (only uploads, only when accepted). */
  storedIds?(json: unknown): string[];
}

type Json = { data?: Record<string, unknown> | null; errors?: Array<{ message?: string; extensions?: { code?: string; reason?: string } }> };

/** Shedding answers: the server refused work to protect itself, which the runs count but do not fail. */
export function isShed(response: RawResponse, json: unknown): boolean {
  const code = firstCode(json);
  const status = response.status;
  return (code === 'RATE_LIMITED' || code === 'SERVICE_UNAVAILABLE') && (status === 200 || status === 429 || status === 503);
}

/** The error code in either shape the server answers: GraphQL routes' `errors`, the file routes' `error`. */
export function firstCode(json: unknown): string | undefined {
  const body = json as (Json & { error?: { code?: string } }) | undefined;
  return body?.errors?.[0]?.extensions?.code ?? body?.error?.code;
}

export function firstReason(json: unknown): string | undefined {
  return (json as Json | undefined)?.errors?.[0]?.extensions?.reason;
}

/**
 * What every answer must be, whatever was asked: an HTTP answer below 500 (or a shed), JSON from
 * /graphql when it is an error, no masked internal error and no stack trace.
 */
export function baseJudge(response: RawResponse, json: unknown, graphql: boolean): string | undefined {
  if (response.status === 'error') return `connection failed: ${response.error}`;
  if (response.status === 'dropped') return undefined;
  if (/\n\s+at .+\(.*:\d+:\d+\)|"stacktrace"/.test(response.body)) return `stack trace in the answer (${response.status})`;
  if (isShed(response, json)) return undefined;
  if (response.status >= 500) return `HTTP ${response.status}: ${response.body.slice(0, 300)}`;
  const codes = ((json as Json | undefined)?.errors ?? []).map((e) => e.extensions?.code);
  if (codes.includes('INTERNAL_SERVER_ERROR')) return `INTERNAL_SERVER_ERROR (HTTP ${response.status}): ${response.body.slice(0, 300)}`;
  if (graphql && json === undefined && response.status === 200) return `HTTP 200 that is not JSON: ${response.body.slice(0, 200)}`;
  return undefined;
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
