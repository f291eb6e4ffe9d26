// Bridges the harness does not provide (livechat, uploads, email, scheduler, video conferences, …).
// The engine needs an instance of each; calling one fails with a clear error instead of a TypeError,
// after the engine's own permission check ran (the do*() methods live on the base class prototype).

export function unsupportedBridge<T extends object>(Base: abstract new () => T, name: string): T {
  const instance = Object.create(Base.prototype) as T;
  return new Proxy(instance, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      // `then` stays undefined so the bridge is never mistaken for a promise.
      if (value !== undefined || typeof property !== 'string' || property === 'then') {
        return value;
      }
      return () => Promise.reject(new Error(`${name}.${property}() is not provided by the AppsEngineHarness`));
    },
  });
}

export function unsupported(bridge: string, method: string): Promise<never> {
  return Promise.reject(new Error(`${bridge}.${method}() is not provided by the AppsEngineHarness`));
}
