// The only platform globals core may use: present in every browser and in Node ≥ 11, with no I/O.
// Declared here because core compiles with neither DOM nor Node types.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
