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
    public static void MultiplyPair<T>(bool transA, int m, int k, T[] a, int aOffset,
        int n1, T[] b1, int b1Offset, T[] c1, int c1Offset, int n2, T[] b2, int b2Offset, T[] c2, int c2Offset,
        bool accumulate, int level = -1)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        CheckOperands(m, n1, k, a, aOffset, b1, b1Offset, c1, c1Offset, nameof(b1), nameof(c1));
        CheckOperands(m, n2, k, a, aOffset, b2, b2Offset, c2, c2Offset, nameof(b2), nameof(c2));
        if (level < 0 || level > KernelLevel) level = KernelLevel;
        int start = RoundUp(n1, Tile<T>(level).Nr), n = start + n2;
        long work = (long)m * n * k;
        if (m == 0 || n1 == 0 || n2 == 0 || k == 0 || work < SmallThreshold || m <= 2)
        {
            Multiply(transA, false, m, n1, k, a, aOffset, b1, b1Offset, c1, c1Offset, accumulate, level);
            Multiply(transA, false, m, n2, k, a, aOffset, b2, b2Offset, c2, c2Offset, accumulate, level);
            return;
        }
        long rsA = transA ? 1 : k, csA = transA ? m : 1;
        fixed (T* pa = &a[aOffset], pb1 = &b1[b1Offset], pc1 = &c1[c1Offset], pb2 = &b2[b2Offset], pc2 = &c2[c2Offset])
        {
            var second = new Second<T>(pb2, n2, pc2, n2, n1, start);
            int threads = Environment.ProcessorCount;
            if (work < ParallelThreshold || threads < 2)
                Blocked(level, m, n, k, pa, rsA, csA, pb1, n1, 1, pc1, n1, accumulate, default, second);
            else
                Parallelize(level, m, n, k, pa, rsA, csA, pb1, n1, 1, pc1, n1, accumulate, threads, default, second);
        }
    }

    /// <summary>The second product of a pair (<see cref="MultiplyPair{T}"/>): its row-major B [k, ·] and C [m, ·] (row
    /// strides <c>Ldb</c>, <c>Ldc</c>) take the combined product's columns from <c>Start</c>, the first panel boundary at
    /// or after the first product's <c>FirstColumns</c>. <c>B</c> is null when there is no second product.</summary>
    private readonly struct Second<T>(T* b, long ldb, T* c, int ldc, int firstColumns, int start) where T : unmanaged
    {
        public T* B { get; } = b;
        public long Ldb { get; } = ldb;
        public T* C { get; } = c;
        public int Ldc { get; } = ldc;
        public int FirstColumns { get; } = firstColumns;
        public int Start { get; } = start;

        /// <summary>The same product for the rows of C from <paramref name="row"/> on (a strip of a row split).</summary>
        public Second<T> FromRow(int row) => B is null ? this : new(B, Ldb, C + (long)row * Ldc, Ldc, FirstColumns, Start);
    }
}
