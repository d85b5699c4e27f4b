using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Autograd.Tensors;

/// <summary>Packing routines for <see cref="Gemm"/>: copy a block of op(A) or op(B), addressed through general
/// row/column strides (so transposition is just a stride swap), into contiguous zero-padded micro-panels.</summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs an mc x kc block of op(A) into ceil(mc / mr) micro-panels of kc x mr values
    /// (element (i, p) of panel q at <c>dst[q * kc * mr + p * mr + i]</c>), padding missing rows with zeros.</summary>
    /// <param name="mc">Rows of the block.</param>
    /// <param name="kc">Columns (depth) of the block.</param>
    /// <param name="a">Element (0, 0) of the block.</param>
    /// <param name="rs">Distance between rows of op(A).</param>
    /// <param name="cs">Distance between columns of op(A).</param>
    /// <param name="mr">Micro-panel height.</param>
    /// <param name="dst">Destination buffer of at least ceil(mc / mr) * mr * kc values.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(int mc, int kc, T* a, long rs, long cs, int mr, T* dst)
        where T : unmanaged
    {
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            T* src = a + i0 * rs;
            if (rs == 1)
            {
                // PERF: transposed A: the mr values of one depth step are contiguous in memory, so copy them as a run.
                for (int p = 0; p < kc; p++)
                {
                    T* s = src + p * cs;
                    T* d = dst + p * mr;
                    int i = 0;
                    for (; i < rows; i++) d[i] = s[i];
                    for (; i < mr; i++) d[i] = default;
                }
            }
            else
            {
                // PERF: row-major A: read each row sequentially (unit stride when cs == 1) and scatter with stride mr.
                for (int i = 0; i < rows; i++)
                {
                    T* s = src + i * rs;
                    T* d = dst + i;
                    if (cs == 1)
                        for (int p = 0; p < kc; p++) d[p * mr] = s[p];
                    else
                        for (int p = 0; p < kc; p++) d[p * mr] = s[p * cs];
                }
                for (int i = rows; i < mr; i++)
                    for (int p = 0; p < kc; p++) dst[p * mr + i] = default;
            }
            dst += mr * kc;
        }
    }

    /// <summary>Packs a kc x nc block of op(B) into ceil(nc / nr) micro-panels of kc x nr values
    /// (element (p, j) of panel q at <c>dst[q * kc * nr + p * nr + j]</c>), padding missing columns with zeros.</summary>
    /// <param name="kc">Rows (depth) of the block.</param>
    /// <param name="nc">Columns of the block.</param>
    /// <param name="b">Element (0, 0) of the block.</param>
    /// <param name="rs">Distance between rows of op(B).</param>
    /// <param name="cs">Distance between columns of op(B).</param>
    /// <param name="nr">Micro-panel width.</param>
    /// <param name="dst">Destination buffer of at least ceil(nc / nr) * nr * kc values.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(int kc, int nc, T* b, long rs, long cs, int nr, T* dst)
        where T : unmanaged
    {
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            T* src = b + j0 * cs;
            if (cs == 1)
            {
                if (cols == nr && Vector256.IsHardwareAccelerated && nr % Vector256<T>.Count == 0)
                {
                    // PERF: row-major B: each depth step of a full panel is one contiguous run; copy it with vectors.
                    for (int p = 0; p < kc; p++)
                    {
                        T* s = src + p * rs;
                        T* d = dst + p * nr;
                        for (int j = 0; j < nr; j += Vector256<T>.Count)
                            Vector256.Store(Vector256.Load(s + j), d + j);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        T* s = src + p * rs;
                        T* d = dst + p * nr;
                        int j = 0;
                        for (; j < cols; j++) d[j] = s[j];
                        for (; j < nr; j++) d[j] = default;
                    }
                }
            }
            else
            {
                // PERF: transposed B: walk each column of op(B) along its unit-stride depth and scatter with stride nr.
                for (int j = 0; j < cols; j++)
                {
                    T* s = src + j * cs;
                    T* d = dst + j;
                    if (rs == 1)
                        for (int p = 0; p < kc; p++) d[p * nr] = s[p];
                    else
                        for (int p = 0; p < kc; p++) d[p * nr] = s[p * rs];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) dst[p * nr + j] = default;
            }
            dst += nr * kc;
        }
    }
}
