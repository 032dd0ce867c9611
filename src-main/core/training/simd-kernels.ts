/**
 * WebAssembly SIMD kernels for the fused head trainer, assembled here from their bytes (no
 * toolchain, no package) and specialised for one row stride, so every class row's address
 * is a constant offset from one pointer:
 *
 * - `forward(x0, x1, w, out)`: for two rows x0, x1 and a block of up to 4 class rows of w
 *   (class-major, `stride` floats apart), the 2 × block dot products written to `out`;
 *   each x chunk and w chunk loaded once serves two / four multiply-adds.
 * - `backward(dw, x0, x1, g)`: dw[c] += g[0][c]·x0 + g[1][c]·x1 for the block's classes
 *   (g: 2 × block floats), each dw chunk loaded and stored once per two rows.
 *
 * Addresses are bytes in the shared memory; `stride` is a multiple of 4 floats (rows are
 * zero-padded). One-row variants (`forward1`, `backward1`) take an odd last row. Returns
 * null where the engine has no WebAssembly SIMD (the caller then uses typed-array loops).
 */

/** The slice of the WebAssembly JS API used here (main's tsconfig has no DOM lib to declare it). */
type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number };
type WasmApi = {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
};
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Kernels for one class block size. */
export type BlockKernels = {
  forward: (x0: number, x1: number, w: number, out: number) => void;
  forward1: (x0: number, w: number, out: number) => void;
  backward: (dw: number, x0: number, x1: number, g: number) => void;
  backward1: (dw: number, x0: number, g: number) => void;
};

export type SimdKernels = {
  memory: WasmMemory;
  /** Kernels for a block of `classes` (1–4) class rows. */
  block(classes: number): BlockKernels;
};

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Opcodes (WebAssembly core + SIMD; SIMD ones are 0xfd then a LEB128 index).
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32const = (v: number): number[] => [0x41, ...sleb(v)];
const I32_ADD = 0x6a;
const I32_GE_U = 0x4f;
const F32_ADD = 0x92;
const f32load = (offset: number): number[] => [0x2a, 0x02, ...uleb(offset)];
const f32store = (offset: number): number[] => [0x38, 0x02, ...uleb(offset)];
const load = (offset: number): number[] => [0xfd, 0x00, 0x04, ...uleb(offset)]; // v128.load align=16
const store = (offset: number): number[] => [0xfd, 0x0b, 0x04, ...uleb(offset)]; // v128.store align=16
const SPLAT = [0xfd, 0x13];
const lane = (i: number): number[] => [0xfd, 0x1f, i]; // f32x4.extract_lane
const ADD = [0xfd, 0xe4, 0x01];
const MUL = [0xfd, 0xe6, 0x01];
const END = 0x0b;
const LOOP_START = [0x02, 0x40, 0x03, 0x40]; // block, loop
const loopEnd = [0x0c, 0x00, END, END]; // br 0 (the loop), end loop, end block

/** Advances pointer locals by one 16-byte chunk. */
const advance = (locals: number[]): number[] => locals.flatMap((l) => [...get(l), ...i32const(16), I32_ADD, ...set(l)]);
/** The horizontal sum of a v128 local onto the stack. */
const hsum = (l: number): number[] => [...get(l), ...lane(0), ...get(l), ...lane(1), F32_ADD, ...get(l), ...lane(2), F32_ADD, ...get(l), ...lane(3), F32_ADD];

/** forward over `rows` rows (1 or 2) and `classes` class rows; params x0[, x1], w, out. */
function forwardBody(rows: number, classes: number, strideBytes: number): number[] {
  const x = Array.from({ length: rows }, (_, r) => r);
  const w = rows;
  const out = rows + 1;
  const end = rows + 2;
  const acc = (r: number, c: number): number => end + 1 + r * classes + c;
  const xv = (r: number): number => end + 1 + rows * classes + r;
  const wv = end + 1 + rows * classes + rows;
  const code = [
    ...get(x[0]), ...i32const(strideBytes), I32_ADD, ...set(end),
    ...LOOP_START,
    ...get(x[0]), ...get(end), I32_GE_U, 0x0d, 0x01,
    ...x.flatMap((r) => [...get(r), ...load(0), ...set(xv(r))]),
    ...Array.from({ length: classes }, (_, c) => [
      ...get(w), ...load(c * strideBytes), ...set(wv),
      ...x.flatMap((r) => [...get(acc(r, c)), ...get(xv(r)), ...get(wv), ...MUL, ...ADD, ...set(acc(r, c))]),
    ]).flat(),
    ...advance([...x, w]),
    ...loopEnd,
    ...x.flatMap((r) => Array.from({ length: classes }, (_, c) => [...get(out), ...hsum(acc(r, c)), ...f32store((r * classes + c) * 4)]).flat()),
    END,
  ];
  return [...vec([[1, I32], [rows * classes + rows + 1, V128]]), ...code];
}

/** backward over `rows` rows and `classes` class rows; params dw, x0[, x1], g. */
function backwardBody(rows: number, classes: number, strideBytes: number): number[] {
  const dw = 0;
  const x = Array.from({ length: rows }, (_, r) => 1 + r);
  const g = rows + 1;
  const end = rows + 2;
  const gs = (r: number, c: number): number => end + 1 + r * classes + c;
  const xv = (r: number): number => end + 1 + rows * classes + r;
  const code = [
    ...get(x[0]), ...i32const(strideBytes), I32_ADD, ...set(end),
    ...Array.from({ length: rows * classes }, (_, i) => [...get(g), ...f32load(i * 4), ...SPLAT, ...set(end + 1 + i)]).flat(),
    ...LOOP_START,
    ...get(x[0]), ...get(end), I32_GE_U, 0x0d, 0x01,
    ...x.flatMap((l, r) => [...get(l), ...load(0), ...set(xv(r))]),
    ...Array.from({ length: classes }, (_, c) => [
      ...get(dw), ...get(dw), ...load(c * strideBytes),
      ...x.flatMap((_l, r) => [...get(xv(r)), ...get(gs(r, c)), ...MUL, ...ADD]),
      ...store(c * strideBytes),
    ]).flat(),
    ...advance([dw, ...x]),
    ...loopEnd,
    END,
  ];
  return [...vec([[1, I32], [rows * classes + rows, V128]]), ...code];
}

function moduleBytes(classes: number, strideBytes: number): Uint8Array {
  const fn = (params: number): number[] => [0x60, ...vec(Array.from({ length: params }, () => [I32])), ...vec([])];
  const bodies = [forwardBody(2, classes, strideBytes), forwardBody(1, classes, strideBytes), backwardBody(2, classes, strideBytes), backwardBody(1, classes, strideBytes)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fn(4), fn(3)])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])), // imported memory, min 0 pages
    ...section(3, vec([[0], [1], [0], [1]])),
    ...section(7, vec([
      [...name('forward'), 0x00, 0],
      [...name('forward1'), 0x00, 1],
      [...name('backward'), 0x00, 2],
      [...name('backward1'), 0x00, 3],
    ])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

/** Kernels for rows of `strideFloats` floats (a multiple of 4), in a fresh memory of `bytes`; null without SIMD. */
export function createSimdKernels(strideFloats: number, bytes: number): SimdKernels | null {
  if (!wasm || strideFloats % 4 !== 0) return null;
  let memory: WasmMemory;
  try {
    memory = new wasm.Memory({ initial: Math.ceil(bytes / 65536) });
  } catch {
    return null;
  }
  const blocks = new Map<number, BlockKernels>();
  const strideBytes = strideFloats * 4;
  try {
    // Probe once: engines without SIMD reject the module.
    if (!wasm.validate(moduleBytes(1, strideBytes))) return null;
  } catch {
    return null;
  }
  return {
    memory,
    block(classes: number): BlockKernels {
      let kernels = blocks.get(classes);
      if (!kernels) {
        const instance = new wasm.Instance(new wasm.Module(moduleBytes(classes, strideBytes)), { env: { memory } });
        kernels = instance.exports as unknown as BlockKernels;
        blocks.set(classes, kernels);
      }
      return kernels;
    },
  };
}
