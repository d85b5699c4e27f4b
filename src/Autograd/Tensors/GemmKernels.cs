using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Tensors;

/// <summary>Register-blocked micro-kernels for <see cref="Gemm"/>. Each computes one MR x NR tile of C from a
/// packed A micro-panel (kc steps of MR values) and a packed B micro-panel (kc steps of NR values).</summary>
internal static unsafe class GemmKernels
{
    /// <summary>Rows of the AVX-512 kernel's tile.</summary>
    public const int MR512 = 8;

    /// <summary>Rows of the Vector256 kernel's tile (16 ymm registers: 12 accumulators + 2 B + 1 broadcast).</summary>
    public const int MR256 = 6;

    /// <summary>Rows and columns of the scalar fallback kernel's tile.</summary>
    public const int MRScalar = 4;

    /// <summary>Fused multiply-add <c>a * b + c</c> for float or double vectors (plain multiply-add otherwise).</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="c">Addend.</param>
    /// <returns><c>a * b + c</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        // PERF: typeof(T) tests are JIT-time constants, so this collapses to a single vfmadd instruction.
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>Fused multiply-add <c>a * b + c</c> for float or double 256-bit vectors.</summary>
    /// <param name="a">First factor.</param>
    /// <param name="b">Second factor.</param>
    /// <param name="c">Addend.</param>
    /// <returns><c>a * b + c</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>Stores one accumulator row pair to C, adding C's previous contents when <paramref name="load"/>.</summary>
    /// <param name="c">Start of the C row.</param>
    /// <param name="x0">Left half of the row.</param>
    /// <param name="x1">Right half of the row.</param>
    /// <param name="load">Whether to accumulate into C.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* c, Vector512<T> x0, Vector512<T> x1, bool load) where T : unmanaged
    {
        if (load)
        {
            x0 += Vector512.Load(c);
            x1 += Vector512.Load(c + Vector512<T>.Count);
        }
        x0.Store(c);
        x1.Store(c + Vector512<T>.Count);
    }

    /// <summary>Stores one 256-bit accumulator row pair to C, adding C's previous contents when <paramref name="load"/>.</summary>
    /// <param name="c">Start of the C row.</param>
    /// <param name="x0">Left half of the row.</param>
    /// <param name="x1">Right half of the row.</param>
    /// <param name="load">Whether to accumulate into C.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* c, Vector256<T> x0, Vector256<T> x1, bool load) where T : unmanaged
    {
        if (load)
        {
            x0 += Vector256.Load(c);
            x1 += Vector256.Load(c + Vector256<T>.Count);
        }
        x0.Store(c);
        x1.Store(c + Vector256<T>.Count);
    }

    /// <summary>AVX-512 kernel: an 8 x (2 * Vector512&lt;T&gt;.Count) tile (8x32 float, 8x16 double).</summary>
    /// <param name="kc">Depth of the packed panels.</param>
    /// <param name="a">A micro-panel, kc x 8: the 8 values of depth step p at <c>a[p * lda .. p * lda + 7]</c>.</param>
    /// <param name="lda">Distance between depth steps of A: 8 when packed, the column stride of a transposed A read in place.</param>
    /// <param name="b">Packed B micro-panel, kc x NR.</param>
    /// <param name="c">Top-left of the C tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="load">Add to C (true) or overwrite it (false).</param>
    // PERF: AggressiveOptimization skips tier-0 so the hot loop is register-allocated from the first call;
    // 16 accumulators + 2 B vectors + 1 broadcast fit in the 32 zmm registers without spilling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel512<T>(int kc, T* a, long lda, T* b, T* c, int ldc, bool load)
        where T : unmanaged
    {
        int w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<T> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default;
        if (load && Sse.IsSupported)
        {
            // PERF: the C tile is usually far away (L3 or DRAM) when it is accumulated into; start fetching its
            // 16 cache lines now so they arrive while the k loop runs instead of stalling the epilogue.
            for (int i = 0; i < MR512; i++)
            {
                Sse.Prefetch0(c + (long)i * ldc);
                Sse.Prefetch0(c + (long)i * ldc + w);
            }
        }
        for (int p = 0; p < kc; p++)
        {
            Vector512<T> b0 = Vector512.Load(b), b1 = Vector512.Load(b + w);
            Vector512<T> x = Vector512.Create(a[0]);
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
            a += lda;
            b += 2 * w;
        }
        Store(c, c00, c01, load); c += ldc;
        Store(c, c10, c11, load); c += ldc;
        Store(c, c20, c21, load); c += ldc;
        Store(c, c30, c31, load); c += ldc;
        Store(c, c40, c41, load); c += ldc;
        Store(c, c50, c51, load); c += ldc;
        Store(c, c60, c61, load); c += ldc;
        Store(c, c70, c71, load);
    }

    /// <summary>Vector256 kernel (AVX2 machines): an R x (2 * Vector256&lt;T&gt;.Count) tile, R = 6 for full tiles and
    /// 4 or 2 for the last rows of a block (a recurrent step's 16-row half ends in 4 rows, a 32-row one in 2), which would
    /// otherwise cost a whole 6-row pass.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <typeparam name="R">The tile's rows: <see cref="Six"/>, <see cref="Four"/> or <see cref="Two"/>.</typeparam>
    /// <param name="kc">Depth of the packed panels.</param>
    /// <param name="a">A micro-panel, kc x 6: the values of depth step p at <c>a[p * lda ..]</c> (R of them are read).</param>
    /// <param name="lda">Distance between depth steps of A: 6 when packed, the column stride of a transposed A read in place.</param>
    /// <param name="b">Packed B micro-panel, kc x NR.</param>
    /// <param name="c">Top-left of the C tile; R rows are written.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="load">Add to C (true) or overwrite it (false).</param>
    // PERF: 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers. R is a JIT-time constant (one
    // compiled kernel per row count), so the rows a kernel does not have cost nothing: 4 rows take 2/3 of the 6-row time
    // (FMA-bound), 2 rows a third (load-bound).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel256<T, R>(int kc, T* a, long lda, T* b, T* c, int ldc, bool load)
        where T : unmanaged where R : struct, IRows
    {
        int w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<T> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<T> c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<T> b0 = Vector256.Load(b), b1 = Vector256.Load(b + w);
            Vector256<T> x = Vector256.Create(a[0]);
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            if (R.Count > 2)
            {
                x = Vector256.Create(a[2]);
                c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
                x = Vector256.Create(a[3]);
                c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            }
            if (R.Count > 4)
            {
                x = Vector256.Create(a[4]);
                c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
                x = Vector256.Create(a[5]);
                c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            }
            a += lda;
            b += 2 * w;
        }
        Store(c, c00, c01, load); c += ldc;
        Store(c, c10, c11, load);
        if (R.Count > 2)
        {
            c += ldc; Store(c, c20, c21, load);
            c += ldc; Store(c, c30, c31, load);
        }
        if (R.Count > 4)
        {
            c += ldc; Store(c, c40, c41, load);
            c += ldc; Store(c, c50, c51, load);
        }
    }

    /// <summary>A block's last 2 or 4 rows across three whole consecutive B panels (kc * NR apart, NR = 2 *
    /// Vector256&lt;T&gt;.Count): <see cref="Kernel256Wide2{T}"/> once, or <see cref="Kernel256Wide4{T}"/> on each half.</summary>
    /// <param name="rows">2 or 4.</param>
    /// <param name="kc">Depth of the packed panels.</param>
    /// <param name="a">A micro-panel: the values of depth step p at <c>a[p * lda ..]</c>.</param>
    /// <param name="lda">Distance between depth steps of A.</param>
    /// <param name="b">The first of the three packed B micro-panels.</param>
    /// <param name="c">Top-left of the C tile: <paramref name="rows"/> rows of 3 * NR contiguous columns are written.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="load">Add to C (true) or overwrite it (false).</param>
    public static void Kernel256Wide<T>(int rows, int kc, T* a, long lda, T* b, T* c, int ldc, bool load) where T : unmanaged
    {
        int w = Vector256<T>.Count;
        long panel = (long)kc * 2 * w;
        if (rows == 2)
        {
            Kernel256Wide2(kc, a, lda, b, panel, c, ldc, load);
            return;
        }
        // Columns 0..3w of the trio are panel 0's two vectors and panel 1's first; 3w..6w the rest.
        Kernel256Wide4(kc, a, lda, b, b + w, b + panel, c, ldc, load);
        Kernel256Wide4(kc, a, lda, b + panel + w, b + 2 * panel, b + 2 * panel + w, c + 3 * w, ldc, load);
    }

    /// <summary>Vector256 kernel for a block's last two rows across three whole B panels: a 2 x (6 * Vector256&lt;T&gt;.Count)
    /// tile (2 x 48 float). Its 12 accumulators keep both FMA units busy, where the 2-row tile of one panel has 4 and
    /// waits on the FMA latency (a 32-row product ran at 92 GFLOP/s on one core against 100 for 30 rows).</summary>
    /// <param name="kc">Depth of the packed panels.</param>
    /// <param name="a">A micro-panel: the values of depth step p at <c>a[p * lda ..]</c> (2 of them are read).</param>
    /// <param name="lda">Distance between depth steps of A.</param>
    /// <param name="b">The first of three packed B micro-panels, each kc x NR.</param>
    /// <param name="panel">Distance between the panels (kc * NR).</param>
    /// <param name="c">Top-left of the C tile: 2 rows of 3 * NR contiguous columns are written.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="load">Add to C (true) or overwrite it (false).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel256Wide2<T>(int kc, T* a, long lda, T* b, long panel, T* c, int ldc, bool load)
        where T : unmanaged
    {
        int w = Vector256<T>.Count;
        T* b1 = b + panel, b2 = b1 + panel;
        Vector256<T> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector256<T> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<T> x0 = Vector256.Create(a[0]), x1 = Vector256.Create(a[1]);
            Vector256<T> v = Vector256.Load(b);
            c00 = Fma(x0, v, c00); c10 = Fma(x1, v, c10);
            v = Vector256.Load(b + w);
            c01 = Fma(x0, v, c01); c11 = Fma(x1, v, c11);
            v = Vector256.Load(b1);
            c02 = Fma(x0, v, c02); c12 = Fma(x1, v, c12);
            v = Vector256.Load(b1 + w);
            c03 = Fma(x0, v, c03); c13 = Fma(x1, v, c13);
            v = Vector256.Load(b2);
            c04 = Fma(x0, v, c04); c14 = Fma(x1, v, c14);
            v = Vector256.Load(b2 + w);
            c05 = Fma(x0, v, c05); c15 = Fma(x1, v, c15);
            a += lda;
            b += 2 * w; b1 += 2 * w; b2 += 2 * w;
        }
        Store(c, c00, c01, load); Store(c + 2 * w, c02, c03, load); Store(c + 4 * w, c04, c05, load);
        c += ldc;
        Store(c, c10, c11, load); Store(c + 2 * w, c12, c13, load); Store(c + 4 * w, c14, c15, load);
    }

    /// <summary>Vector256 kernel for a block's last four rows: a 4 x (3 * Vector256&lt;T&gt;.Count) tile (4 x 24 float)
    /// whose three column vectors are read from anywhere in the packed B panels. Two calls cover three whole panels; 12
    /// accumulators against the 8 of a 4-row tile of one panel (a 16-row product: 87 GFLOP/s on one core, 94 for 18).</summary>
    /// <param name="kc">Depth of the packed panels.</param>
    /// <param name="a">A micro-panel: the values of depth step p at <c>a[p * lda ..]</c> (4 of them are read).</param>
    /// <param name="lda">Distance between depth steps of A.</param>
    /// <param name="b0">The tile's first column vector in its packed panel (advances by NR per depth step).</param>
    /// <param name="b1">Its second column vector.</param>
    /// <param name="b2">Its third column vector.</param>
    /// <param name="c">Top-left of the C tile: 4 rows of 3 * Vector256&lt;T&gt;.Count contiguous columns are written.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="load">Add to C (true) or overwrite it (false).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel256Wide4<T>(int kc, T* a, long lda, T* b0, T* b1, T* b2, T* c, int ldc, bool load)
        where T : unmanaged
    {
        int w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector256<T> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<T> v0 = Vector256.Load(b0), v1 = Vector256.Load(b1), v2 = Vector256.Load(b2);
            Vector256<T> x = Vector256.Create(a[0]);
            c00 = Fma(x, v0, c00); c01 = Fma(x, v1, c01); c02 = Fma(x, v2, c02);
            x = Vector256.Create(a[1]);
            c10 = Fma(x, v0, c10); c11 = Fma(x, v1, c11); c12 = Fma(x, v2, c12);
            x = Vector256.Create(a[2]);
            c20 = Fma(x, v0, c20); c21 = Fma(x, v1, c21); c22 = Fma(x, v2, c22);
            x = Vector256.Create(a[3]);
            c30 = Fma(x, v0, c30); c31 = Fma(x, v1, c31); c32 = Fma(x, v2, c32);
            a += lda;
            b0 += 2 * w; b1 += 2 * w; b2 += 2 * w;
        }
        Store3(c, c00, c01, c02, load); c += ldc;
        Store3(c, c10, c11, c12, load); c += ldc;
        Store3(c, c20, c21, c22, load); c += ldc;
        Store3(c, c30, c31, c32, load);
    }

    /// <summary>Stores three 256-bit accumulators to consecutive vectors of a C row, adding C when <paramref name="load"/>.</summary>
    /// <param name="c">Start of the C row piece.</param>
    /// <param name="x0">First vector.</param>
    /// <param name="x1">Second vector.</param>
    /// <param name="x2">Third vector.</param>
    /// <param name="load">Whether to accumulate into C.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store3<T>(T* c, Vector256<T> x0, Vector256<T> x1, Vector256<T> x2, bool load) where T : unmanaged
    {
        Store(c, x0, x1, load);
        int w = Vector256<T>.Count;
        if (load) x2 += Vector256.Load(c + 2 * w);
        x2.Store(c + 2 * w);
    }

    /// <summary>A tile's row count as a type, so that each row count gets its own compiled kernel.</summary>
    public interface IRows
    {
        /// <summary>Rows of the tile.</summary>
        static abstract int Count { get; }
    }

    /// <summary>Six rows: the AVX2 kernel's full tile.</summary>
    public readonly struct Six : IRows { public static int Count => 6; }

    /// <summary>Four rows.</summary>
    public readonly struct Four : IRows { public static int Count => 4; }

    /// <summary>Two rows.</summary>
    public readonly struct Two : IRows { public static int Count => 2; }

    /// <summary>Portable scalar kernel: a 4 x 4 tile with the accumulators in locals.</summary>
    /// <param name="kc">Depth of the packed panels.</param>
    /// <param name="a">Packed A micro-panel, kc x 4.</param>
    /// <param name="b">Packed B micro-panel, kc x 4.</param>
    /// <param name="c">Top-left of the C tile.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="load">Add to C (true) or overwrite it (false).</param>
    public static void KernelScalar<T>(int kc, T* a, T* b, T* c, int ldc, bool load)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Span<T> acc = stackalloc T[MRScalar * MRScalar];
        acc.Clear();
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < MRScalar; i++)
            {
                T x = a[i];
                for (int j = 0; j < MRScalar; j++)
                    acc[i * MRScalar + j] += x * b[j];
            }
            a += MRScalar;
            b += MRScalar;
        }
        for (int i = 0; i < MRScalar; i++)
        {
            T* row = c + (long)i * ldc;
            for (int j = 0; j < MRScalar; j++)
                row[j] = load ? row[j] + acc[i * MRScalar + j] : acc[i * MRScalar + j];
        }
    }
}
