using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;

namespace Autograd.Tensors;

/// <summary>General matrix multiply (GEMM) for float and double, GotoBLAS/BLIS style: op(A) and op(B) are copied
/// block by block into contiguous micro-panels (which also absorbs transposition), and a register-blocked FMA
/// micro-kernel (<see cref="GemmKernels"/>) computes each MR x NR tile of C. Large products use all cores.</summary>
internal static unsafe partial class Gemm
{
    // PERF: block sizes measured on a 2-core Zen (48 KiB L1D, 1 MiB L2, shared L3) at 256^3..4096^3; see docs/gemm-notes.md.

    /// <summary>Depth of a packed block (kc), in elements: a kc x NR B micro-panel (64 KiB) streams from L1/L2, and
    /// deeper blocks amortize the load/store of the C tile over more FMAs.</summary>
    private const int KC = 512;

    /// <summary>Rows of a packed A block (mc), in bytes of one depth step (384 floats, 192 doubles): the
    /// mc x kc A block (768 KiB) stays in L2 while every B micro-panel of the B block sweeps over it.</summary>
    private const int MCBytes = 1536;

    /// <summary>Columns of a packed B block (nc), in bytes of one depth step; divided by sizeof(T). Tunable.
    /// (4064 floats rather than 4096 so that kc * nc plus the alignment pad stays inside a power-of-two pool bucket.)</summary>
    private const int NCBytes = 4064 * 4;

    /// <summary>Below this m*n*k the simple loop path is used (no packing); the packed path already wins at 8x8x8.</summary>
    private const long SmallThreshold = 512;

    /// <summary>From this m*n*k on (2^21 flops, about 101^3), the product is split across cores: measured, two
    /// threads already win at 100^3 (155 vs 123 GFLOP/s) and lose at 64^3.</summary>
    private const long ParallelThreshold = 1L << 20;

    /// <summary>Widest depth k at which a recurrent loop computes a product of its input x_t inside each step rather than
    /// as one product for all T·B rows before the loop (<see cref="LstmSequenceOp"/>, a compiled scan): at such a depth
    /// the one product is bound by memory, writing and reading back its T·B·n values (W2: 1600 x 512 x 32, 1.07 ms of
    /// ~10), while the steps add x_t's rows to products they compute anyway.</summary>
    internal const int StepProjectionDepth = 64;

    /// <summary>Which micro-kernel this machine runs: 2 = Vector512, 1 = Vector256, 0 = scalar. Tests pass a lower
    /// level to <see cref="Multiply{T}"/> to exercise the fallback paths.</summary>
    internal static readonly int KernelLevel = Vector512.IsHardwareAccelerated ? 2 : Vector256.IsHardwareAccelerated ? 1 : 0;

    /// <summary>C = op(A) · op(B), or C += op(A) · op(B) when <paramref name="accumulate"/> is true. Row-major.
    /// op(A) is [m, k]: A is stored [m, k] (lda = k) or, when transA, [k, m] (lda = m). op(B) is [k, n]:
    /// B is stored [k, n] or, when transB, [n, k]. C is [m, n] (ldc = n).</summary>
    /// <param name="transA">Whether A is stored transposed ([k, m]).</param>
    /// <param name="transB">Whether B is stored transposed ([n, k]).</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="a">Storage of A.</param>
    /// <param name="aOffset">Index of A's first element in <paramref name="a"/>.</param>
    /// <param name="b">Storage of B.</param>
    /// <param name="bOffset">Index of B's first element in <paramref name="b"/>.</param>
    /// <param name="c">Storage of C.</param>
    /// <param name="cOffset">Index of C's first element in <paramref name="c"/>.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting C.</param>
    /// <param name="level">The micro-kernel to use (see <see cref="KernelLevel"/>); negative: this machine's best.</param>
    /// <param name="cacheB">B is an immutable array (an NDArray's data) that may be multiplied again: keep its packed
    /// panels beside it (<see cref="GemmPackedB"/>) instead of packing it on every call.</param>
    /// <param name="parallel">Whether a large product may be split across cores; false when the caller already runs
    /// one product per core.</param>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T[] a, int aOffset, T[] b, int bOffset, T[] c, int cOffset, bool accumulate, int level = -1, bool cacheB = false,
        bool parallel = true)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        CheckOperands(m, n, k, a, aOffset, b, bOffset, c, cOffset);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c.AsSpan(cOffset, m * n).Clear();
            return;
        }
        // op(A)(i, p) = a[i * rsA + p * csA], op(B)(p, j) = b[p * rsB + j * csB].
        long rsA = transA ? 1 : k, csA = transA ? m : 1;
        long rsB = transB ? 1 : n, csB = transB ? k : 1;
        long work = (long)m * n * k;
        fixed (T* pa = &a[aOffset], pb = &b[bOffset], pc = &c[cOffset])
        {
            // PERF: tiny or vector-shaped products skip packing entirely; packing would cost as much as the math.
            if (work < SmallThreshold || m <= 2)
            {
                Simple(m, n, k, pa, rsA, csA, pb, rsB, csB, pc, n, accumulate);
                return;
            }
            if (level < 0 || level > KernelLevel) level = KernelLevel;
            int nr = Tile<T>(level).Nr;
            T[]? packed = cacheB && GemmPackedB.Enabled ? GemmPackedB.Get(b, bOffset, transB, k, n, Balance(k, KC, 1), nr) : null;
            fixed (T* rawPacked = packed)
            {
                var pre = new Prepacked<T>(packed is null ? null : GemmPackedB.Align(rawPacked), 0, (n + nr - 1) / nr);
                int threads = Environment.ProcessorCount;
                if (work < ParallelThreshold || threads < 2 || !parallel)
                {
                    Blocked(level, m, n, k, pa, rsA, csA, pb, rsB, csB, pc, n, accumulate, pre);
                    return;
                }
                Parallelize(level, m, n, k, pa, rsA, csA, pb, rsB, csB, pc, n, accumulate, threads, pre);
            }
        }
    }

    /// <summary>Throws when a size is negative or an operand of an [m, k] · [k, n] product does not fit in its array.</summary>
    private static void CheckOperands<T>(int m, int n, int k, T[] a, int aOffset, T[] b, int bOffset, T[] c, int cOffset,
        string bName = "b", string cName = "c")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckRange(a, aOffset, (long)m * k, nameof(a));
        CheckRange(b, bOffset, (long)k * n, bName);
        CheckRange(c, cOffset, (long)m * n, cName);
    }

    /// <summary>Throws when <paramref name="count"/> elements from <paramref name="offset"/> do not fit in the array.</summary>
    /// <param name="array">The storage array.</param>
    /// <param name="offset">First index used.</param>
    /// <param name="count">Number of elements used.</param>
    /// <param name="name">Parameter name for the exception.</param>
    private static void CheckRange<T>(T[] array, int offset, long count, string name)
    {
        ArgumentNullException.ThrowIfNull(array, name);
        if (offset < 0 || offset + count > array.Length || (count == 0 && offset > array.Length))
            throw new ArgumentException($"{name} holds {array.Length} elements; {count} are needed from offset {offset}.", name);
    }

    /// <summary>Splits C into one strip per core (columns when C is wide, rows otherwise, aligned to the
    /// micro-tile) and runs <see cref="Blocked{T}"/> on each strip concurrently.</summary>
    /// <param name="level">Kernel level (see <see cref="KernelLevel"/>).</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Depth.</param>
    /// <param name="a">op(A)(0, 0).</param>
    /// <param name="rsA">Row stride of op(A).</param>
    /// <param name="csA">Column stride of op(A).</param>
    /// <param name="b">op(B)(0, 0).</param>
    /// <param name="rsB">Row stride of op(B).</param>
    /// <param name="csB">Column stride of op(B).</param>
    /// <param name="c">C(0, 0).</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    /// <param name="threads">Number of cores available.</param>
    /// <param name="pre">The whole op(B) already packed, or none.</param>
    /// <param name="second">The second product of a pair (<see cref="MultiplyPair{T}"/>), or none; a pair is split by rows.</param>
    private static void Parallelize<T>(int level, int m, int n, int k, T* a, long rsA, long csA, T* b, long rsB, long csB,
        T* c, int ldc, bool accumulate, int threads, Prepacked<T> pre, Second<T> second = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int mr, int nr) = Tile<T>(level);
        bool splitN = n >= m && second.B is null;
        int units = splitN ? (n + nr - 1) / nr : (m + mr - 1) / mr;
        int parts = Math.Min(threads, units);
        if (parts < 2)
        {
            Blocked(level, m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, accumulate, pre, second);
            return;
        }
        // Lambdas cannot capture pointers: pass them as nint.
        nint ia = (nint)a, ib = (nint)b, ic = (nint)c;
        Parallel.For(0, parts, part =>
        {
            int u0 = (int)((long)units * part / parts), u1 = (int)((long)units * (part + 1) / parts);
            T* pa = (T*)ia, pb = (T*)ib, pc = (T*)ic;
            if (splitN)
            {
                int j0 = u0 * nr, j1 = Math.Min(n, u1 * nr);
                Blocked(level, m, j1 - j0, k, pa, rsA, csA, pb + j0 * csB, rsB, csB, pc + j0, ldc, accumulate, pre with { Panel0 = u0 });
            }
            else
            {
                int i0 = u0 * mr, i1 = Math.Min(m, u1 * mr);
                Blocked(level, i1 - i0, n, k, pa + i0 * rsA, rsA, csA, pb, rsB, csB, pc + (long)i0 * ldc, ldc, accumulate, pre, second.FromRow(i0));
            }
        });
    }

    /// <summary>The (MR, NR) micro-tile of kernel <paramref name="level"/> for <typeparamref name="T"/>.</summary>
    /// <param name="level">Kernel level (see <see cref="KernelLevel"/>).</param>
    /// <returns>Tile rows and columns.</returns>
    private static (int Mr, int Nr) Tile<T>(int level) where T : unmanaged => level switch
    {
        2 => (GemmKernels.MR512, 2 * Vector512<T>.Count),
        1 => (GemmKernels.MR256, 2 * Vector256<T>.Count),
        _ => (GemmKernels.MRScalar, GemmKernels.MRScalar),
    };

    /// <summary>Single-threaded packed GEMM: loops jc (nc) → pc (kc, pack B) → ic (mc, pack A) → jr (NR) → ir (MR)
    /// around the micro-kernel. Edge tiles go through a small stack tile and are then copied into C, except the AVX2
    /// kernel's full-width tiles of 2 or 4 rows, which its short variants write in place.</summary>
    /// <param name="level">Kernel level (see <see cref="KernelLevel"/>).</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Depth.</param>
    /// <param name="a">op(A)(0, 0).</param>
    /// <param name="rsA">Row stride of op(A).</param>
    /// <param name="csA">Column stride of op(A).</param>
    /// <param name="b">op(B)(0, 0).</param>
    /// <param name="rsB">Row stride of op(B).</param>
    /// <param name="csB">Column stride of op(B).</param>
    /// <param name="c">C(0, 0).</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    /// <param name="pre">The whole op(B) already packed (this strip starts at its panel <c>Panel0</c>), or none.</param>
    /// <param name="second">The second product of a pair, whose B and C take columns from <c>Second.Start</c> of the
    /// n columns, or none (then b and c have all n).</param>
    private static void Blocked<T>(int level, int m, int n, int k, T* a, long rsA, long csA, T* b, long rsB, long csB,
        T* c, int ldc, bool accumulate, Prepacked<T> pre, Second<T> second = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int mr, int nr) = Tile<T>(level);
        // Columns [0, n1) are the first product's, [start2, n) the second's; between them, the zero padding of a panel.
        int n1 = second.B is null ? n : second.FirstColumns, start2 = second.B is null ? n : second.Start;
        // PERF: kc and nc are balanced over their blocks (k = 600 gives 2 x 300, not 512 + 88): a short last
        // depth block would pay the C load/store of a full pass for little arithmetic.
        int kcMax = Balance(k, Math.Max(1, KC), 1);
        int mcBlock = Math.Max(mr, MCBytes / sizeof(T) / mr * mr);
        int ncBlock = Balance(n, Math.Max(nr, NCBytes / sizeof(T) / nr * nr), nr);
        int mcMax = Math.Min(mcBlock, RoundUp(m, mr));
        int ncMax = Math.Min(ncBlock, RoundUp(n, nr));
        // PERF: packing buffers come from the shared pool (no garbage per call) and are aligned to 64 bytes by hand
        // so that every Vector512 load of a packed panel stays inside one cache line.
        int pad = 64 / sizeof(T);
        T[] bufA = ArrayPool<T>.Shared.Rent(mcMax * kcMax + pad);
        T[] bufB = ArrayPool<T>.Shared.Rent(pre.Data is null ? ncMax * kcMax + pad : 0);
        T* tile = stackalloc T[mr * nr + pad];
        tile = Align(tile);
        try
        {
            fixed (T* rawA = bufA, rawB = bufB)
            {
                T* packA = Align(rawA), packB = Align(rawB);
                for (int jc = 0; jc < n; jc += ncBlock)
                {
                    int nc = Math.Min(ncBlock, n - jc);
                    // PERF: a transposed A (rsA = 1) already holds the mr values of each depth step side by side, as a
                    // packed panel does, only csA apart: when few B panels would reuse a packed A (n up to 4 NR), the
                    // vector kernels read its full row tiles in place and only a last partial tile is packed
                    // (zero-padded). Packing a 512 x 1600 gᵀ took 163 µs of the 1.05 ms weight gradient g_aᵀ h of a
                    // recurrent layer; in place, 512 x 32 x 1600 went 205 -> 125 µs. Wide products keep packing: 2048³
                    // with A transposed measured 15% slower read in place.
                    bool direct = rsA == 1 && level >= 1 && nc <= 4 * nr;
                    for (int pc = 0; pc < k; pc += kcMax)
                    {
                        int kc = Math.Min(kcMax, k - pc);
                        bool load = accumulate || pc > 0;
                        T* blockB = packB;
                        if (pre.Data is null)
                        {
                            int end1 = Math.Min(jc + nc, n1), from2 = Math.Max(jc, start2);
                            if (end1 > jc) GemmPacking.PackB(kc, end1 - jc, b + pc * rsB + jc * csB, rsB, csB, nr, packB);
                            if (jc + nc > from2)
                                GemmPacking.PackB(kc, jc + nc - from2, second.B + pc * second.Ldb + (from2 - start2), second.Ldb, 1, nr,
                                    packB + (long)(from2 - jc) * kc);
                        }
                        else blockB = pre.Data + (long)pc * pre.Panels * nr + (long)(pre.Panel0 + jc / nr) * kc * nr;
                        for (int ic = 0; ic < m; ic += mcBlock)
                        {
                            int mc = Math.Min(mcBlock, m - ic);
                            int full = direct ? mc / mr * mr : 0;
                            if (mc > full) GemmPacking.PackA(mc - full, kc, a + (ic + full) * rsA + pc * csA, rsA, csA, mr, packA);
                            // PERF: a last tile of 2 or 4 rows runs across three whole panels at a time (2 x 48 or two
                            // 4 x 24 tiles), with 12 accumulators as in the full tile; its own 4 or 8 leave the FMA units
                            // waiting on their latency. A recurrent step's halves of 32 rows (W3) and 16 (W2) end so.
                            int tail = mc % mr, tailRow = mc - tail, wideEnd = 0;
                            T* wideB = null, wideC = null;
                            bool wide = level == 1 && (tail is 2 or 4);
                            for (int jr = 0; jr < nc; jr += nr)
                            {
                                int col = jc + jr;
                                bool inSecond = col >= start2;
                                int ncols = Math.Min(nr, (inSecond ? n : n1) - col), ld = inSecond ? second.Ldc : ldc;
                                T* cCol = inSecond ? second.C + (col - start2) : c + col;
                                T* bp = inSecond && second.Packed != null
                                    ? second.Packed + (long)pc * second.Panels * nr + (long)((col - start2) / nr) * kc * nr
                                    : blockB + (long)jr * kc;
                                if (wide && jr >= wideEnd && jr + 3 * nr <= nc && col + 3 * nr <= (inSecond ? n : n1))
                                {
                                    wideEnd = jr + 3 * nr;
                                    wideB = bp;
                                    wideC = cCol + (long)(ic + tailRow) * ld;
                                }
                                for (int ir = 0; ir < mc; ir += mr)
                                {
                                    if (ir == tailRow && jr < wideEnd) break; // with the trio's last panel, below
                                    int nrows = Math.Min(mr, mc - ir);
                                    bool inPlace = ir < full;
                                    T* ap = inPlace ? a + (ic + ir) * rsA + pc * csA : packA + (long)(ir - full) * kc;
                                    long lda = inPlace ? csA : mr;
                                    T* cp = cCol + (long)(ic + ir) * ld;
                                    if (ncols == nr && KernelRows(level, nrows) == nrows)
                                    {
                                        Kernel(level, nrows, kc, ap, lda, bp, cp, ld, load);
                                    }
                                    else
                                    {
                                        Kernel(level, nrows, kc, ap, lda, bp, tile, nr, false);
                                        for (int i = 0; i < nrows; i++)
                                        {
                                            T* dst = cp + (long)i * ld;
                                            T* src = tile + i * nr;
                                            for (int j = 0; j < ncols; j++)
                                                dst[j] = load ? dst[j] + src[j] : src[j];
                                        }
                                    }
                                }
                                // After the trio's last panel, which is then in L1. Its panels lie kc * nr apart (packed here or kept).
                                if (jr == wideEnd - nr)
                                    GemmKernels.Kernel256Wide(tail, kc, packA + (long)(tailRow - full) * kc, mr, wideB, wideC, ld, load);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(bufA);
            ArrayPool<T>.Shared.Return(bufB);
        }
    }

    /// <summary>A whole op(B) packed by <see cref="GemmPackedB"/>: aligned data (null when absent), the first panel of the
    /// current strip, and the panel count across all n columns.</summary>
    private readonly struct Prepacked<T>(T* data, int panel0, int panels) where T : unmanaged
    {
        public T* Data { get; } = data;
        public int Panel0 { get; init; } = panel0;
        public int Panels { get; } = panels;
    }

    /// <summary>Runs the micro-kernel of the given level.</summary>
    /// <param name="level">Kernel level (see <see cref="KernelLevel"/>).</param>
    /// <param name="rows">Rows of the tile that are needed; the kernel writes <see cref="KernelRows"/> rows.</param>
    /// <param name="kc">Depth.</param>
    /// <param name="a">A micro-panel: the mr values of each depth step side by side.</param>
    /// <param name="lda">Distance between depth steps of A: mr when packed (level 0 takes only packed panels).</param>
    /// <param name="b">Packed B micro-panel.</param>
    /// <param name="c">C tile.</param>
    /// <param name="ldc">Row stride of the C tile.</param>
    /// <param name="load">Add to C instead of overwriting it.</param>
    private static void Kernel<T>(int level, int rows, int kc, T* a, long lda, T* b, T* c, int ldc, bool load)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (level)
        {
            case 2: GemmKernels.Kernel512(kc, a, lda, b, c, ldc, load); break;
            case 1 when KernelRows(1, rows) == 2: GemmKernels.Kernel256<T, GemmKernels.Two>(kc, a, lda, b, c, ldc, load); break;
            case 1 when KernelRows(1, rows) == 4: GemmKernels.Kernel256<T, GemmKernels.Four>(kc, a, lda, b, c, ldc, load); break;
            case 1: GemmKernels.Kernel256<T, GemmKernels.Six>(kc, a, lda, b, c, ldc, load); break;
            default: GemmKernels.KernelScalar(kc, a, b, c, ldc, load); break;
        }
    }

    /// <summary>Rows that the kernel of <paramref name="level"/> computes and writes for a tile of which
    /// <paramref name="rows"/> are needed: the AVX2 kernel has 2-, 4- and 6-row variants, the others one full tile.</summary>
    /// <param name="level">Kernel level (see <see cref="KernelLevel"/>).</param>
    /// <param name="rows">Rows needed (at most the tile's).</param>
    /// <returns>Rows written, at least <paramref name="rows"/>.</returns>
    private static int KernelRows(int level, int rows) => level switch
    {
        2 => GemmKernels.MR512,
        1 => rows <= 2 ? 2 : rows <= 4 ? 4 : GemmKernels.MR256,
        _ => GemmKernels.MRScalar,
    };

    /// <summary>Block size for splitting <paramref name="total"/> into the fewest blocks of at most
    /// <paramref name="max"/>, made as even as possible and rounded up to a multiple of <paramref name="unit"/>.</summary>
    /// <param name="total">Extent to split (positive).</param>
    /// <param name="max">Largest allowed block (a multiple of <paramref name="unit"/>).</param>
    /// <param name="unit">Granularity of the block size.</param>
    /// <returns>The block size.</returns>
    private static int Balance(int total, int max, int unit)
    {
        int blocks = (total + max - 1) / max;
        return Math.Min(max, RoundUp((total + blocks - 1) / blocks, unit));
    }

    /// <summary>Rounds <paramref name="x"/> up to a multiple of <paramref name="to"/>.</summary>
    /// <param name="x">Value.</param>
    /// <param name="to">Positive multiple.</param>
    /// <returns>The rounded value.</returns>
    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Rounds a pointer up to the next 64-byte boundary.</summary>
    /// <param name="p">Pointer.</param>
    /// <returns>The aligned pointer (at most 63 bytes further).</returns>
    private static T* Align<T>(T* p) where T : unmanaged => (T*)(((nint)p + 63) & ~(nint)63);
}
