/** @file The dense float64 matrix product C = (C or 0) + op(A)·op(B), with op(X) = X or Xᵀ, in f64x2.
 *
 * Blocking (GotoBLAS/BLIS), for every shape but the thin ones below:
 *   for jc over N in steps of NC                     B block  ≤ KC×NC, packed (L2)
 *     for pc over K in blocks of ≤ KC (equal sizes)
 *       pack op(B)[pc.., jc..] into panels of NR columns
 *       for ic over M in steps of MC                 A block  ≤ MC×KC, packed (L2)
 *         pack op(A)[ic.., pc..] into panels of MR rows
 *         for jr over the B panels, ir over the A panels:
 *           4×4 micro-kernel: the B panel (KC×NR, 8 KiB) stays in L1 across the ir sweep
 * A packed panel holds, for each p, the 4 values op(A)[i..i+4, p] contiguous; a B panel the 4 values
 * op(B)[p, j..j+4]. The micro-kernel streams both with unit stride, so the four transpose combinations
 * run the same inner loop and differ only in packing (O(MK + KN) against O(MNK)). Panels are
 * zero-padded past M or N; an edge tile writes only its valid rows and columns of C.
 * The 4×4 tile is 8 f64x2 accumulators; with the 2 B vectors, the A splat and a product that is 12 of
 * the 15 xmm registers V8 allocates. Larger tiles, and unrolling the p loop, make TurboFan spill
 * (measured slower); the kernel is inlined into `blocked` because a wasm call in V8 spills every live
 * register of the caller.
 * Thin shapes skip packing and scratch: a single column of C (n == 1), and the rows of C when M < 4
 * (unless both operands are transposed), are matrix-vector products (`dots`: dot products with
 * contiguous rows; `axpys`: sums of scaled contiguous rows). A vector operand (k, m or n of 1) is
 * stored the same transposed or not, so its flag is dropped first.
 */

// @ts-ignore: decorator
@inline const MR: i32 = 4;  // rows of the micro-tile
// @ts-ignore: decorator
@inline const NR: i32 = 4;  // columns of the micro-tile
// @ts-ignore: decorator
@inline const KC: i32 = 256; // p-block: an A or B panel is KC·4·8 = 8 KiB
// @ts-ignore: decorator
@inline const MC: i32 = 96;  // rows of a packed A block (192 KiB)
// @ts-ignore: decorator
@inline const NC: i32 = 1024; // columns of a packed B block (2 MiB)

// @ts-ignore: decorator
@inline function roundUp4(x: i32): i32 {
  return (x + 3) & ~3;
}

// @ts-ignore: decorator
@inline function min(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Bytes of scratch `gemm` needs for these shapes (one packed A block and one packed B block; at most 2,293,760). */
export function gemmScratchBytes(m: i32, k: i32, n: i32, transA: bool, transB: bool): i32 {
  if (m <= 0 || k <= 0 || n <= 0) return 0;
  return min(k, KC) * (min(roundUp4(m), MC) + min(roundUp4(n), NC)) << 3;
}

/** Packs a 4×kc slice of a matrix whose element (i, p) sits at src + (i·si + p·sp)·8 into dst as kc
 *  groups of 4 values (row i ≥ `rows` packs as 0). */
function packPanel(src: usize, si: i32, sp: i32, rows: i32, kc: i32, dst: usize): void {
  const bi = <usize>si << 3, bp = <usize>sp << 3, end = dst + (<usize>kc << 5);
  if (rows == 4 && si == 1) {        // the 4 values of a group are contiguous
    while (dst < end) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += bp; dst += 32;
    }
  } else if (rows == 4) {            // four rows, each strided by sp
    const s1 = src + bi, s2 = s1 + bi, s3 = s2 + bi;
    let o: usize = 0;
    while (dst < end) {
      store<f64>(dst, load<f64>(src + o));
      store<f64>(dst, load<f64>(s1 + o), 8);
      store<f64>(dst, load<f64>(s2 + o), 16);
      store<f64>(dst, load<f64>(s3 + o), 24);
      o += bp; dst += 32;
    }
  } else {                           // an edge panel: zero-fill past `rows`
    memory.fill(dst, 0, <usize>kc << 5);
    for (let i = 0; i < rows; i++) {
      let s = src + <usize>i * bi, d = dst + (<usize>i << 3);
      for (let p = 0; p < kc; p++) {
        store<f64>(d, load<f64>(s));
        s += bp; d += 32;
      }
    }
  }
}

/** Packs rows [0, len) × p [0, kc) of a matrix (element (i, p) at x + (i·si + p·sp)·8) into panels of 4 rows. */
function packBlock(x: usize, si: i32, sp: i32, len: i32, kc: i32, dst: usize): void {
  const step = <usize>kc << 5, xstep = <usize>si << 5;
  for (let i = 0; i < len; i += 4) {
    packPanel(x, si, sp, min(4, len - i), kc, dst);
    x += xstep; dst += step;
  }
}

/** Stores (or adds) one row of a tile, (v0, v1) = columns 0..3, keeping only the first `cols`. */
// @ts-ignore: decorator
@inline function storeRow(q: usize, v0: v128, v1: v128, cols: i32, add: bool): void {
  if (cols >= 2) {
    v128.store(q, add ? f64x2.add(v0, v128.load(q)) : v0);
    if (cols == 4) v128.store(q, add ? f64x2.add(v1, v128.load(q, 16)) : v1, 16);
    else if (cols == 3) store<f64>(q, add ? f64x2.extract_lane(v1, 0) + load<f64>(q, 16) : f64x2.extract_lane(v1, 0), 16);
  } else {
    store<f64>(q, add ? f64x2.extract_lane(v0, 0) + load<f64>(q) : f64x2.extract_lane(v0, 0));
  }
}

/** The 4×4 micro-kernel: C tile (rows × cols of it valid, row stride ldc bytes) (+)= A panel · B panel over kc. */
// @ts-ignore: decorator
@inline function kernel(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, rows: i32, cols: i32, add: bool): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  const end = ap + (<usize>kc << 5);
  while (ap < end) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let a = v128.load64_splat(ap);
    c00 = f64x2.add(c00, f64x2.mul(a, b0)); c01 = f64x2.add(c01, f64x2.mul(a, b1));
    a = v128.load64_splat(ap, 8);
    c10 = f64x2.add(c10, f64x2.mul(a, b0)); c11 = f64x2.add(c11, f64x2.mul(a, b1));
    a = v128.load64_splat(ap, 16);
    c20 = f64x2.add(c20, f64x2.mul(a, b0)); c21 = f64x2.add(c21, f64x2.mul(a, b1));
    a = v128.load64_splat(ap, 24);
    c30 = f64x2.add(c30, f64x2.mul(a, b0)); c31 = f64x2.add(c31, f64x2.mul(a, b1));
    ap += 32; bp += 32;
  }
  storeRow(c, c00, c01, cols, add);
  if (rows > 1) storeRow(c + ldc, c10, c11, cols, add);
  if (rows > 2) storeRow(c + 2 * ldc, c20, c21, cols, add);
  if (rows > 3) storeRow(c + 3 * ldc, c30, c31, cols, add);
}

/** y[j] (+)= Σ_p x[p]·r[j·ld + p] for j < len: dot products of x with (contiguous) rows of r, 4 rows at a time. */
function dots(x: usize, r: usize, ld: i32, k: i32, y: usize, len: i32, add: bool): void {
  const ldb = <usize>ld << 3, k2 = <usize>(k & ~1) << 3, odd = (k & 1) != 0;
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const r1 = r + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    for (let o: usize = 0; o < k2; o += 16) {
      const xv = v128.load(x + o);
      s0 = f64x2.add(s0, f64x2.mul(xv, v128.load(r + o))); s1 = f64x2.add(s1, f64x2.mul(xv, v128.load(r1 + o)));
      s2 = f64x2.add(s2, f64x2.mul(xv, v128.load(r2 + o))); s3 = f64x2.add(s3, f64x2.mul(xv, v128.load(r3 + o)));
    }
    // horizontal sums: lo = (Σs0, Σs1), hi = (Σs2, Σs3)
    let lo = f64x2.add(f64x2.shuffle(s0, s1, 0, 2), f64x2.shuffle(s0, s1, 1, 3));
    let hi = f64x2.add(f64x2.shuffle(s2, s3, 0, 2), f64x2.shuffle(s2, s3, 1, 3));
    if (odd) {
      const xv = v128.load64_splat(x + k2);
      lo = f64x2.add(lo, f64x2.mul(xv, v128.load64_lane(r1 + k2, v128.load64_zero(r + k2), 1)));
      hi = f64x2.add(hi, f64x2.mul(xv, v128.load64_lane(r3 + k2, v128.load64_zero(r2 + k2), 1)));
    }
    storeRow(y + (<usize>j << 3), lo, hi, 4, add);
    r += ldb << 2;
  }
  for (; j < len; j++) {              // 0 to 3 rows left, one at a time
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), o: usize = 0;
    for (; o + 32 <= k2; o += 32) {
      s0 = f64x2.add(s0, f64x2.mul(v128.load(x + o), v128.load(r + o)));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(x + o, 16), v128.load(r + o, 16)));
    }
    if (o < k2) s0 = f64x2.add(s0, f64x2.mul(v128.load(x + o), v128.load(r + o)));
    s0 = f64x2.add(s0, s1);
    let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    if (odd) s += load<f64>(x + k2) * load<f64>(r + k2);
    const q = y + (<usize>j << 3);
    store<f64>(q, add ? load<f64>(q) + s : s);
    r += ldb;
  }
}

/** y[j] (+)= Σ_p x[p·xs]·r[p·ld + j] for j < len: a combination of (contiguous) rows of r, 8 columns at a time. */
function axpys(x: usize, xs: i32, r: usize, ld: i32, k: i32, y: usize, len: i32, add: bool): void {
  const ldb = <usize>ld << 3, xsb = <usize>xs << 3, xe = x + <usize>k * xsb;
  let j = 0;
  for (; j + 8 <= len; j += 8) {
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    for (let xp = x, rp = r + (<usize>j << 3); xp < xe; xp += xsb, rp += ldb) {
      const a = v128.load64_splat(xp);
      s0 = f64x2.add(s0, f64x2.mul(a, v128.load(rp))); s1 = f64x2.add(s1, f64x2.mul(a, v128.load(rp, 16)));
      s2 = f64x2.add(s2, f64x2.mul(a, v128.load(rp, 32))); s3 = f64x2.add(s3, f64x2.mul(a, v128.load(rp, 48)));
    }
    const q = y + (<usize>j << 3);
    storeRow(q, s0, s1, 4, add);
    storeRow(q + 32, s2, s3, 4, add);
  }
  for (; j < len; j += 2) {           // 1 to 7 columns left: pairs, then maybe a single one
    let s0 = f64x2.splat(0);
    const two = j + 1 < len;
    for (let xp = x, rp = r + (<usize>j << 3); xp < xe; xp += xsb, rp += ldb) {
      s0 = f64x2.add(s0, f64x2.mul(v128.load64_splat(xp), two ? v128.load(rp) : v128.load64_zero(rp)));
    }
    storeRow(y + (<usize>j << 3), s0, s0, two ? 2 : 1, add);
  }
}

/** The packed, blocked product (m, n ≥ 1, k ≥ 1); op(A)(i, p) at a + (i·ai + p·ap)·8, op(B)(p, j) at b + (j·bj + p·bp)·8. */
function blocked(a: usize, ai: i32, ap: i32, b: usize, bj: i32, bp: i32, c: usize, m: i32, k: i32, n: i32, accumulate: bool, scratch: usize): void {
  const pa = scratch, pb = scratch + <usize>(min(k, KC) * min(roundUp4(m), MC) << 3);
  const ldc = <usize>n << 3;
  const kblocks = (k + KC - 1) / KC, kcb = (k + kblocks - 1) / kblocks; // equal p-blocks, each ≤ KC
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = min(kcb, k - pc), add = accumulate || pc > 0;
      packBlock(b + (<usize>jc * <usize>bj + <usize>pc * <usize>bp << 3), bj, bp, nc, kc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packBlock(a + (<usize>ic * <usize>ai + <usize>pc * <usize>ap << 3), ai, ap, mc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const bpanel = pb + (<usize>(jr * kc) << 3), cols = min(NR, nc - jr);
          let cij = c + <usize>ic * ldc + (<usize>(jc + jr) << 3), apanel = pa;
          for (let ir = 0; ir < mc; ir += MR) {
            kernel(apanel, bpanel, kc, cij, ldc, min(MR, mc - ir), cols, add);
            cij += ldc << 2; apanel += <usize>kc << 5;
          }
        }
      }
    }
  }
}

/** C (M×N, row-major) = (accumulate ? C : 0) + op(A)·op(B); A is M×K (K×M when transA), B is K×N (N×K when
 *  transB), all row-major f64 at byte addresses; `scratch` (16-byte aligned) holds gemmScratchBytes bytes. */
export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, transA: bool, transB: bool, accumulate: bool, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k == 1 || m == 1) transA = false;       // a vector is stored the same either way
  if (k == 1 || n == 1) transB = false;
  if (k <= 0) {
    if (!accumulate) memory.fill(c, 0, <usize>m * <usize>n << 3);
  } else if (n == 1) {                         // C column = op(A) · the vector B
    if (transA) axpys(b, 1, a, m, k, c, m, accumulate);
    else dots(b, a, k, k, c, m, accumulate);
  } else if (m < MR && !transB) {              // each C row = a row of op(A) · B
    for (let i = 0; i < m; i++) {
      axpys(a + (<usize>(transA ? i : i * k) << 3), transA ? m : 1, b, n, k, c + (<usize>(i * n) << 3), n, accumulate);
    }
  } else if (m < MR && !transA) {              // each C row = a row of A · Bᵀ
    for (let i = 0; i < m; i++) dots(a + (<usize>(i * k) << 3), b, k, k, c + (<usize>(i * n) << 3), n, accumulate);
  } else {
    blocked(a, transA ? 1 : k, transA ? m : 1, b, transB ? k : 1, transB ? 1 : n, c, m, k, n, accumulate, scratch);
  }
}
