/**
 * libp2p 3 uses Promise.withResolvers, which Node 20 lacks (Node 22 has it). Imported first by every
 * Node entry point that loads libp2p — the node process (through src/node/polyfills.ts) and the light
 * client in Node — so it lives here, in the layer both may import; does nothing where the runtime has it.
 */
declare global {
  interface PromiseConstructor {
    withResolvers<T>(): {
      promise: Promise<T>;
      resolve: (value: T | PromiseLike<T>) => void;
      reject: (reason?: unknown) => void;
    };
  }
}

if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
