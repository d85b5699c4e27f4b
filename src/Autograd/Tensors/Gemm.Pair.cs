namespace Autograd.Tensors;

// Two products that share op(A), run as one product (MultiplyPair).
internal static unsafe partial class Gemm
{
    /// <summary>C1 = op(A) · B1 and C2 = op(A) · B2, or C += when <paramref name="accumulate"/> is true: one product of
    /// op(A) with [B1 | B2], so op(A) is packed once and each packed block of it serves both. Row-major; op(A) as in
    /// <see cref="Multiply{T}"/>, B1 [k, n1], B2 [k, n2], C1 [m, n1], C2 [m, n2].
    /// PERF: a recurrent layer's two weight gradients share g_aᵀ: W3's 2048 × 512 × 6400 products with A transposed ran
    /// at 125 GFLOP/s on two cores, one 2048 × 1024 × 6400 product at 141 (fewer packings of A per multiply-add).</summary>
    /// <param name="transA">Whether A is stored transposed ([k, m]).</param>
    /// <param name="m">Rows of op(A), C1 and C2.</param>
    /// <param name="k">Columns of op(A), rows of B1 and B2.</param>
    /// <param name="a">Storage of A.</param>
    /// <param name="aOffset">Index of A's first element in <paramref name="a"/>.</param>
    /// <param name="n1">Columns of B1 and C1.</param>
    /// <param name="b1">Storage of B1.</param>
    /// <param name="b1Offset">Index of B1's first element.</param>
    /// <param name="c1">Storage of C1.</param>
    /// <param name="c1Offset">Index of C1's first element.</param>
    /// <param name="n2">Columns of B2 and C2.</param>
    /// <param name="b2">Storage of B2.</param>
    /// <param name="b2Offset">Index of B2's first element.</param>
    /// <param name="c2">Storage of C2.</param>
    /// <param name="c2Offset">Index of C2's first element.</param>
    /// <param name="accumulate">Add the products to C1 and C2 instead of overwriting them.</param>
    /// <param name="level">The micro-kernel to use (see <see cref="KernelLevel"/>); negative: this machine's best.</param>
    /// <param name="cacheB">B1 and B2 are immutable arrays (weights) that may be multiplied again: use their packed panels
    /// kept beside them (<see cref="GemmPackedB"/>), as <see cref="Multiply{T}"/> does.</param>
    /// <param name="parallel">Whether a large pair may be split across cores; false when the caller already runs one
    /// product per core.</param>
    public static void MultiplyPair<T>(bool transA, int m, int k, T[] a, int aOffset,
        int n1, T[] b1, int b1Offset, T[] c1, int c1Offset, int n2, T[] b2, int b2Offset, T[] c2, int c2Offset,
        bool accumulate, int level = -1, bool cacheB = false, bool parallel = true)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        CheckOperands(m, n1, k, a, aOffset, b1, b1Offset, c1, c1Offset, nameof(b1), nameof(c1));
        CheckOperands(m, n2, k, a, aOffset, b2, b2Offset, c2, c2Offset, nameof(b2), nameof(c2));
        if (level < 0 || level > KernelLevel) level = KernelLevel;
        int nr = Tile<T>(level).Nr, start = RoundUp(n1, nr), n = start + n2;
        long work = (long)m * n * k;
        if (m == 0 || n1 == 0 || n2 == 0 || k == 0 || work < SmallThreshold || m <= 2)
        {
            Multiply(transA, false, m, n1, k, a, aOffset, b1, b1Offset, c1, c1Offset, accumulate, level, cacheB, parallel);
            Multiply(transA, false, m, n2, k, a, aOffset, b2, b2Offset, c2, c2Offset, accumulate, level, cacheB, parallel);
            return;
        }
        long rsA = transA ? 1 : k, csA = transA ? m : 1;
        // Both Bs from their kept panels, or both packed here block by block (a first sighting keeps nothing yet).
        int kc = Balance(k, KC, 1);
        T[]? packed1 = cacheB && GemmPackedB.Enabled ? GemmPackedB.Get(b1, b1Offset, false, k, n1, kc, nr) : null;
        T[]? packed2 = packed1 is null ? null : GemmPackedB.Get(b2, b2Offset, false, k, n2, kc, nr);
        if (packed2 is null) packed1 = null;
        fixed (T* pa = &a[aOffset], pb1 = &b1[b1Offset], pc1 = &c1[c1Offset], pb2 = &b2[b2Offset], pc2 = &c2[c2Offset],
            raw1 = packed1, raw2 = packed2)
        {
            var pre = new Prepacked<T>(packed1 is null ? null : GemmPackedB.Align(raw1), 0, (n1 + nr - 1) / nr);
            var second = new Second<T>(pb2, n2, pc2, n2, n1, start, packed2 is null ? null : GemmPackedB.Align(raw2), (n2 + nr - 1) / nr);
            int threads = Environment.ProcessorCount;
            if (work < ParallelThreshold || threads < 2 || !parallel)
                Blocked(level, m, n, k, pa, rsA, csA, pb1, n1, 1, pc1, n1, accumulate, pre, second);
            else
                Parallelize(level, m, n, k, pa, rsA, csA, pb1, n1, 1, pc1, n1, accumulate, threads, pre, second);
        }
    }

    /// <summary>The second product of a pair (<see cref="MultiplyPair{T}"/>): its row-major B [k, ·] and C [m, ·] (row
    /// strides <c>Ldb</c>, <c>Ldc</c>) take the combined product's columns from <c>Start</c>, the first panel boundary at
    /// or after the first product's <c>FirstColumns</c>. <c>B</c> is null when there is no second product. <c>Packed</c>,
    /// when not null, is the whole B already packed (<see cref="GemmPackedB"/>, <c>Panels</c> panels across its columns),
    /// as the first product's is then.</summary>
    private readonly struct Second<T>(T* b, long ldb, T* c, int ldc, int firstColumns, int start, T* packed = null, int panels = 0)
        where T : unmanaged
    {
        public T* B { get; } = b;
        public long Ldb { get; } = ldb;
        public T* C { get; } = c;
        public int Ldc { get; } = ldc;
        public int FirstColumns { get; } = firstColumns;
        public int Start { get; } = start;
        public T* Packed { get; } = packed;
        public int Panels { get; } = panels;

        /// <summary>The same product for the rows of C from <paramref name="row"/> on (a strip of a row split).</summary>
        public Second<T> FromRow(int row) => B is null ? this : new(B, Ldb, C + (long)row * Ldc, Ldc, FirstColumns, Start, Packed, Panels);
    }
}
