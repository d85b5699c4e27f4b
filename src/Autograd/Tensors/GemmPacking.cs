using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        int i0 = 0;
        if (rs == 1 && mr * sizeof(T) is 24 or 32 or 48 or 64 && Vector256.IsHardwareAccelerated)
        {
            // PERF: transposed A, full panels: the mr values of a depth step (6 or 8 floats or doubles, for the AVX2 and
            // AVX-512 kernels) are contiguous, and copied as one or two vector moves instead of mr scalar ones. Eight
            // depth steps at a time across all panels: a source line then serves the 2-3 panels that share it while it
            // is still in L1, where a panel at a time walked the whole depth (rows cs apart) once per panel.
            int full = mc / mr;
            for (int p0 = 0; p0 < kc; p0 += 8)
            {
                int p1 = Math.Min(kc, p0 + 8);
                for (int q = 0; q < full; q++)
                {
                    T* src = a + q * mr, d = dst + (long)q * mr * kc;
                    for (int p = p0; p < p1; p++) CopyStep((byte*)(src + p * cs), (byte*)(d + p * mr), mr * sizeof(T));
                }
            }
            i0 = full * mr;
            dst += (long)full * mr * kc;
        }
        for (; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            T* src = a + i0 * rs;
            if (cs == 1 && mr is 6 or 8 && typeof(T) == typeof(float) && Avx.IsSupported)
            {
                // PERF: row-major float A (6-row panels for the AVX2 kernel, 8-row for the AVX-512 one): 8 x 8 tiles
                // transposed in registers, missing rows of a last partial panel as zeros, instead of a scalar scatter
                // (packing a row-major A was a third of the GEMM time for narrow products, n <= 128, and 15% of W2 on an
                // AVX2 machine; a recurrent step's 16-row half has a 4-row last panel).
                int p = 0;
                for (; p + 8 <= kc; p += 8) TransposeRows((float*)(src + p), rs, rows, (float*)(dst + p * mr), mr);
                for (int i = 0; i < mr; i++)
                    for (int q = p; q < kc; q++) dst[q * mr + i] = i < rows ? src[i * rs + q] : default;
            }
            else if (rs == 1)
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

    /// <summary>Copies one depth step of a transposed A: <paramref name="bytes"/> (24, 32, 48 or 64) as at most two moves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyStep(byte* s, byte* d, int bytes)
    {
        if (bytes == 24)
        {
            Vector128.Store(Vector128.Load(s), d);
            *(ulong*)(d + 16) = *(ulong*)(s + 16);
            return;
        }
        Vector256.Store(Vector256.Load(s), d);
        if (bytes == 48) Vector128.Store(Vector128.Load(s + 32), d + 32);
        else if (bytes == 64) Vector256.Store(Vector256.Load(s + 32), d + 32);
    }

    /// <summary>Packs <paramref name="rows"/> rows of 8 floats (<paramref name="rs"/> apart) as 8 depth steps of
    /// <paramref name="step"/> (6 or 8) values, dst[q * step + i] = src[i * rs + q], rows past <paramref name="rows"/>
    /// as zeros: the 8 x 8 transpose of the rows there are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeRows(float* src, long rs, int rows, float* dst, int step) =>
        TransposeTile(Row(src, rs, 0, rows), Row(src, rs, 1, rows), Row(src, rs, 2, rows), Row(src, rs, 3, rows),
            Row(src, rs, 4, rows), Row(src, rs, 5, rows), Row(src, rs, 6, rows), Row(src, rs, 7, rows), dst, step);

    /// <summary>Row <paramref name="i"/> of a tile, or zeros past its last row (never read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(float* src, long rs, int i, int rows) =>
        i < rows ? Avx.LoadVector256(src + i * rs) : Vector256<float>.Zero;

    /// <summary>Column q of the 8 x 8 tile with rows r0..r7, its first <paramref name="step"/> (8 or 6) values at
    /// <c>dst[q * step ..]</c>. With step 6 each column but the last is stored whole (its last two lanes land on the next
    /// column's first two, which the next store overwrites) and the last exactly: nothing is written past 8·step values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeTile(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, int step)
    {
        // pairs of rows interleaved, then quadruples, then the 128-bit halves swapped into place
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE),
            s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + step, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * step, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * step, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * step, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * step, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * step, Avx.Permute2x128(s2, s6, 0x31));
        var last = Avx.Permute2x128(s3, s7, 0x31);
        if (step == 8) Avx.Store(dst + 7 * step, last);
        else
        {
            Sse.Store(dst + 7 * step, last.GetLower());
            Sse.StoreLow(dst + 7 * step + 4, last.GetUpper());
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
