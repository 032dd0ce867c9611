/**
 * Two WebAssembly SIMD kernels for the fused head trainer, assembled here from their bytes
 * (no toolchain, no package): `dot(a, b, n) → f32` and `axpy(y, alpha, x, n)` (y += alpha·x)
 * over float32 vectors at byte addresses of the module's own memory. `n` must be a multiple
 * of 8 (callers pad rows with zeros). Each loop step takes 8 floats in two f32x4 lanes.
 *
 * Returns null where the engine has no WebAssembly SIMD (the caller then uses plain
 * typed-array loops).
 */

/** The slice of the WebAssembly JS API used here (main's tsconfig has no DOM lib to declare it). */
type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number };
type WasmApi = {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

export type SimdKernels = {
  memory: WasmMemory;
  dot: (a: number, b: number, n: number) => number;
  axpy: (y: number, alpha: number, x: number, n: number) => void;
};

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Opcodes (WebAssembly core + SIMD; SIMD ones are 0xfd then a LEB128 index).
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const tee = (i: number): number[] => [0x22, i];
const i32const = (v: number): number[] => [0x41, v]; // small non-negative values only (< 64)
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const F32_ADD = 0x92;
const load = (offset: number): number[] => [0xfd, 0x00, 0x04, offset]; // v128.load align=16
const store = (offset: number): number[] => [0xfd, 0x0b, 0x04, offset]; // v128.store align=16
const F32X4_SPLAT = [0xfd, 0x13];
const lane = (i: number): number[] => [0xfd, 0x1f, i]; // f32x4.extract_lane
const F32X4_ADD = [0xfd, 0xe4, 0x01];
const F32X4_MUL = [0xfd, 0xe6, 0x01];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = 0x0b;
const brIf = (depth: number): number[] => [0x0d, depth];
const br = (depth: number): number[] => [0x0c, depth];

/** dot(a, b, n): params 0 a, 1 b, 2 n; locals 3 end, 4 acc0, 5 acc1. */
const DOT_BODY = [
  ...vec([[1, I32], [2, V128]]),
  ...get(0), ...get(2), ...i32const(2), I32_SHL, I32_ADD, ...set(3),
  ...BLOCK, ...LOOP,
  ...get(0), ...get(3), I32_GE_U, ...brIf(1),
  ...get(4), ...get(0), ...load(0), ...get(1), ...load(0), ...F32X4_MUL, ...F32X4_ADD, ...set(4),
  ...get(5), ...get(0), ...load(16), ...get(1), ...load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(5),
  ...get(0), ...i32const(32), I32_ADD, ...set(0),
  ...get(1), ...i32const(32), I32_ADD, ...set(1),
  ...br(0), END, END,
  ...get(4), ...get(5), ...F32X4_ADD, ...tee(4),
  ...lane(0), ...get(4), ...lane(1), F32_ADD, ...get(4), ...lane(2), F32_ADD, ...get(4), ...lane(3), F32_ADD,
  END,
];

/** axpy(y, alpha, x, n): params 0 y, 1 alpha, 2 x, 3 n; locals 4 end, 5 splat(alpha). */
const AXPY_BODY = [
  ...vec([[1, I32], [1, V128]]),
  ...get(0), ...get(3), ...i32const(2), I32_SHL, I32_ADD, ...set(4),
  ...get(1), ...F32X4_SPLAT, ...set(5),
  ...BLOCK, ...LOOP,
  ...get(0), ...get(4), I32_GE_U, ...brIf(1),
  ...get(0), ...get(0), ...load(0), ...get(2), ...load(0), ...get(5), ...F32X4_MUL, ...F32X4_ADD, ...store(0),
  ...get(0), ...get(0), ...load(16), ...get(2), ...load(16), ...get(5), ...F32X4_MUL, ...F32X4_ADD, ...store(16),
  ...get(0), ...i32const(32), I32_ADD, ...set(0),
  ...get(2), ...i32const(32), I32_ADD, ...set(2),
  ...br(0), END, END,
  END,
];

const MODULE_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vec([
    [0x60, ...vec([[I32], [I32], [I32]]), ...vec([[F32]])],
    [0x60, ...vec([[I32], [F32], [I32], [I32]]), ...vec([])],
  ])),
  ...section(3, vec([[0], [1]])),
  ...section(5, vec([[0x00, 1]])), // one memory, 1 page to start, grown by the caller
  ...section(7, vec([
    [...name('memory'), 0x02, 0],
    [...name('dot'), 0x00, 0],
    [...name('axpy'), 0x00, 1],
  ])),
  ...section(10, vec([
    [...uleb(DOT_BODY.length), ...DOT_BODY],
    [...uleb(AXPY_BODY.length), ...AXPY_BODY],
  ])),
]);

let compiled: object | null | undefined;

/** A fresh instance (its own memory), or null without WebAssembly SIMD. */
export function createSimdKernels(): SimdKernels | null {
  if (compiled === undefined) {
    try {
      compiled = wasm && wasm.validate(MODULE_BYTES) ? new wasm.Module(MODULE_BYTES) : null;
    } catch {
      compiled = null;
    }
  }
  if (!compiled || !wasm) return null;
  const instance = new wasm.Instance(compiled, {});
  const exports = instance.exports as unknown as SimdKernels;
  return { memory: exports.memory, dot: exports.dot, axpy: exports.axpy };
}
