// Turns what openapi-fetch hands back for a failed call into a sentence for the user.
// The API answers RFC 9457 problem+json; its `detail` is written for people.
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface ProblemLike {
  title?: unknown;
  detail?: unknown;
}

export function problemMessage(error: unknown, response: Response | undefined): string {
  const problem = (typeof error === 'object' && error !== null ? error : {}) as ProblemLike;
  if (typeof problem.detail === 'string' && problem.detail) return problem.detail;
  if (typeof problem.title === 'string' && problem.title) return problem.title;
  if (!response) return 'Cannot reach the Faultline API. Check your connection; this page retries by itself.';
  if (response.status >= 500) return `The Faultline API failed (HTTP ${response.status}). Try again in a moment.`;
  return `The request was refused (HTTP ${response.status}).`;
}

/** The data of a successful call, or an ApiError carrying the problem's detail. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.data !== undefined) return result.data;
  if (result.response.ok) return undefined as T; // 204: nothing to show
  throw new ApiError(problemMessage(result.error, result.response), result.response.status);
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return problemMessage(undefined, undefined);
}
