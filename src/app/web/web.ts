/** An HTTP request to one of the app's public endpoints, and its answer, as every platform can hand them over. */

export interface WebRequest {
  /** The query string's parameters, as the platform parsed them (repeated ones as arrays); validated where read. */
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string>;
  /** The body: a parsed form (an object) or its raw urlencoded text; absent for GET. */
  content?: unknown;
}

export interface WebAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A form body, parsed by the platform into an object or left as urlencoded text. */
export function formFields(content: unknown): Record<string, unknown> {
  if (typeof content === 'string') return Object.fromEntries(new URLSearchParams(content));
  return content && typeof content === 'object' && !Array.isArray(content) ? (content as Record<string, unknown>) : {};
}
