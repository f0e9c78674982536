// undici's own files the action imports by path (see warmHttpParser in http.ts); undici ships no types for them.
declare module 'undici/lib/llhttp/llhttp_simd-wasm.js' {
  /** The WebAssembly build of llhttp, undici's HTTP/1.1 parser, with SIMD. */
  const wasm: Buffer;
  export default wasm;
}
