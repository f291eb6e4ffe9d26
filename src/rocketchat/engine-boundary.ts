/**
 * The one crossing between the app and the engine. The Apps-Engine runtime talks to the server
 * through msgpack with `undefined` kept (deno-runtime/lib/codec.ts), so a member set to `undefined`
 * reaches Rocket.Chat, and its MongoDB, as `null`, and comes back as `null`. Everything the app
 * hands the engine (persistence records, message blocks, HTTP request options, endpoint responses)
 * goes through `toEngine`, and everything read back through `fromEngine`, where absent and `null`
 * mean the same: absent.
 */

/** A deep copy without `undefined` members (and without `undefined` array items). */
export function toEngine<T>(value: T): T {
  return strip(value, (item) => item === undefined) as T;
}

/** A deep copy in which `null` members are absent, as the app's own types say. */
export function fromEngine(value: unknown): unknown {
  return strip(value, (item) => item === null || item === undefined);
}

function strip(value: unknown, drop: (item: unknown) => boolean): unknown {
  if (Array.isArray(value)) return value.filter((item) => !drop(item)).map((item) => strip(item, drop));
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) {
    if (!drop(member)) copy[name] = strip(member, drop);
  }
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
