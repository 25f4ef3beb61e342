/**
 * Import this module first in every Node entry point that loads libp2p.
 * - libp2p 3 uses Promise.withResolvers, which Node 20 lacks (Node 22 has it; there this does nothing).
 * - @peculiar/x509 (the persisted WebRTC-Direct certificate) needs the Reflect metadata API loaded
 *   before it is imported.
 */
import 'reflect-metadata';
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
