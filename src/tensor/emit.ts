/** @file A minimal WebAssembly binary writer for generated loops (src/tensor/fuse.ts): the byte encodings, an instruction buffer, and the module frame.
 *
 * Only what the fused loops use: two functions of type (i32, i32) → (), f64 and v128 locals, loads and stores at
 * constant offsets, f64 and f64x2 arithmetic, and structured loops, over the engine's imported memory.
 */

/** Opcodes used by the generated loops (WebAssembly core spec, §5.4). */
export enum W {
  Block = 0x02, Loop = 0x03, End = 0x0b, Br = 0x0c, BrIf = 0x0d,
  LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22, F64Load = 0x2b, F64Store = 0x39, I32Const = 0x41, F64Const = 0x44,
  I32GeU = 0x4f, F64Ne = 0x62, I32Add = 0x6a, F64Neg = 0x9a, F64Add = 0xa0, F64Sub = 0xa1, F64Mul = 0xa2,
}
/** f64x2 opcodes (after the 0xfd prefix; SIMD proposal, now core §5.4.8). */
export enum X {
  Load = 0, Store = 11, Shuffle = 13, Splat = 20, ExtractLane = 33, Neg = 237, Add = 240, Sub = 241, Mul = 242,
}
const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b, EMPTY = 0x40;

/** An instruction stream: append opcodes and immediates, read the bytes. */
export class Code {
  private bytes: number[] = [];

  /** Appends raw bytes (opcodes). */
  op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }

  /** Appends an unsigned LEB128 integer. */
  u32(v: number): this {
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v) b |= 0x80;
      this.bytes.push(b);
    } while (v);
    return this;
  }

  /** Appends a signed LEB128 integer (i32 range). */
  s32(v: number): this {
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.bytes.push(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  get(i: number): this {
    return this.op(W.LocalGet).u32(i);
  }
  set(i: number): this {
    return this.op(W.LocalSet).u32(i);
  }
  i32(v: number): this {
    return this.op(W.I32Const).s32(v);
  }
  f64(v: number): this {
    const b = new Uint8Array(new Float64Array([v]).buffer);
    return this.op(W.F64Const, ...b);
  }
  /** f64.load at byte `offset` from the address on the stack. */
  load(offset: number): this {
    return this.op(W.F64Load).u32(3).u32(offset);
  }
  /** f64.store at byte `offset` from the address below the value. */
  store(offset: number): this {
    return this.op(W.F64Store).u32(3).u32(offset);
  }
  /** A SIMD instruction (0xfd prefix), with a lane index when given. */
  simd(op: X, lane?: number): this {
    this.op(0xfd).u32(op);
    return lane === undefined ? this : this.op(lane);
  }
  /** `block (loop body… br 0) end`: the loop's first instructions must `br_if 1` to leave. */
  loop(body: (c: Code) => void): this {
    this.op(W.Block, EMPTY, W.Loop, EMPTY);
    body(this);
    return this.op(W.Br, 0, W.End, W.End);
  }

  /** The bytes so far. */
  get out(): number[] {
    return this.bytes;
  }
}

function vec(items: number[][]): number[] {
  return [...new Code().u32(items.length).out, ...items.flat()];
}
function section(id: number, body: number[]): number[] {
  return [id, ...new Code().u32(body.length).out, ...body];
}
function name(s: string): number[] {
  return [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

/** A module importing `env.memory`, exporting functions "f" of type
 * (i32, i32) → () and "b" of type (i32, i32) → i32, with `i32s` i32 locals, `f64s` f64 locals, then as many v128 locals each (after their two parameters). */
export function loopModule(forward: Code, backward: Code, i32s: number, f64s: number): Uint8Array {
  const types = vec([
    [0x60, 2, I32, I32, 0],
    [0x60, 2, I32, I32, 1, I32],
  ]);
  const imports = vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0]]);
  const n = new Code().u32(f64s).out;
  const locals = [...new Code().u32(3).out, ...new Code().u32(i32s).out, I32, ...n, F64, ...n, V128];
  const body = (c: Code) => {
    const b = [...locals, ...c.out, W.End];
    return [...new Code().u32(b.length).out, ...b];
  };
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...name("f"), 0x00, 0], [...name("b"), 0x00, 1]])),
    ...section(10, vec([body(forward), body(backward)])),
  ]);
}
