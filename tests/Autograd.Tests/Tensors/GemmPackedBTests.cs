using Autograd.Tensors;

namespace Autograd.Tests.Tensors;

/// <summary>The packed-B cache (<see cref="GemmPackedB"/>): a cached product equals the uncached one bit for bit, on the
/// first (counting), second (packing) and later (hit) calls; another array, another layout of the same array, or a
/// parallel strip never reads the wrong panels; concurrent callers agree.</summary>
public class GemmPackedBTests
{
    // Small (single-threaded), parallel split over n, parallel split over m, several depth and column blocks.
    public static TheoryData<int, int, int> Sizes() => new() { { 9, 33, 17 }, { 32, 512, 128 }, { 600, 64, 40 }, { 40, 4100, 700 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Cached_products_equal_uncached_ones_bit_for_bit(int m, int n, int k)
    {
        var rng = new Random(m + n + k);
        foreach (var tb in new[] { true, false })
            for (int level = 0; level <= Gemm.KernelLevel; level++)
            {
                var a = Rand(rng, m * k);
                var b = Rand(rng, 5 + k * n);
                var expected = Product(a, b, 5, tb, m, n, k, level, cache: false);
                for (int call = 0; call < 4; call++)
                    Assert.Equal(expected, Product(a, b, 5, tb, m, n, k, level, cache: true));
            }
    }

    [Fact]
    public void A_different_array_or_view_is_not_confused_with_a_cached_one()
    {
        var rng = new Random(1);
        int m = 16, n = 96, k = 64;
        var a = Rand(rng, m * k);
        var b1 = Rand(rng, k * n);
        var b2 = (float[])b1.Clone();
        b2[7] += 1; // same shape, other contents
        for (int i = 0; i < 3; i++) Product(a, b1, 0, true, m, n, k, -1, cache: true);
        Assert.Equal(Product(a, b2, 0, true, m, n, k, -1, cache: false), Product(a, b2, 0, true, m, n, k, -1, cache: true));
        Assert.Equal(Product(a, b2, 0, true, m, n, k, -1, cache: false), Product(a, b2, 0, true, m, n, k, -1, cache: true));
        // The same array read as stored, with another shape, or from another offset.
        Assert.Equal(Product(a, b1, 0, false, m, n, k, -1, cache: false), Product(a, b1, 0, false, m, n, k, -1, cache: true));
        Assert.Equal(Product(a, b1, 0, false, m, n, k, -1, cache: false), Product(a, b1, 0, false, m, n, k, -1, cache: true));
        var a2 = Rand(rng, m * 32);
        Assert.Equal(Product(a2, b1, 0, true, m, 2 * n, 32, -1, cache: false), Product(a2, b1, 0, true, m, 2 * n, 32, -1, cache: true));
        Assert.Equal(Product(a2, b1, 0, true, m, 2 * n, 32, -1, cache: false), Product(a2, b1, 0, true, m, 2 * n, 32, -1, cache: true));
        Assert.Equal(Product(a2, b1, 32, true, m, n, 32, -1, cache: false), Product(a2, b1, 32, true, m, n, 32, -1, cache: true));
        Assert.Equal(Product(a2, b1, 32, true, m, n, 32, -1, cache: false), Product(a2, b1, 32, true, m, n, 32, -1, cache: true));
    }

    [Fact]
    public void Concurrent_callers_get_the_same_result()
    {
        var rng = new Random(2);
        int m = 32, n = 512, k = 128;
        var b = Rand(rng, k * n);
        var inputs = Enumerable.Range(0, 8).Select(_ => Rand(rng, m * k)).ToArray();
        var expected = inputs.Select(a => Product(a, b, 0, true, m, n, k, -1, cache: false)).ToArray();
        var results = new float[8][][];
        Parallel.For(0, 8, t => results[t] = inputs.Select(a => Product(a, b, 0, true, m, n, k, -1, cache: true)).ToArray());
        foreach (var r in results)
            for (int i = 0; i < inputs.Length; i++) Assert.Equal(expected[i], r[i]);
    }

    /// <summary>(m, k, n1, n2): one core with the first product's last panel padded, a recurrent step's backward shape
    /// (g_a_t [16, 512] times W_hh [512, 128] and W_ih [512, 32]), and split over two cores.</summary>
    public static TheoryData<int, int, int, int> PairSizes() => new() { { 9, 17, 13, 5 }, { 16, 512, 128, 32 }, { 260, 600, 40, 70 } };

    [Theory]
    [MemberData(nameof(PairSizes))]
    public void A_pair_from_kept_panels_equals_one_packed_per_call_bit_for_bit(int m, int k, int n1, int n2)
    {
        var rng = new Random(m + k + n1 + n2);
        for (int level = 0; level <= Gemm.KernelLevel; level++)
            foreach (var parallel in new[] { true, false })
            {
                var a = Rand(rng, m * k);
                var (b1, b2) = (Rand(rng, 3 + k * n1), Rand(rng, 5 + k * n2));
                var expected = Pair(a, b1, b2, m, k, n1, n2, level, cache: false, parallel);
                for (int call = 0; call < 4; call++)
                {
                    var got = Pair(a, b1, b2, m, k, n1, n2, level, cache: true, parallel);
                    Assert.Equal(expected.C1, got.C1);
                    Assert.Equal(expected.C2, got.C2);
                }
            }
    }

    private static (float[] C1, float[] C2) Pair(float[] a, float[] b1, float[] b2, int m, int k, int n1, int n2, int level, bool cache, bool parallel)
    {
        var (c1, c2) = (new float[m * n1], new float[m * n2]);
        Gemm.MultiplyPair(false, m, k, a, 0, n1, b1, 3, c1, 0, n2, b2, 5, c2, 0, accumulate: false, level, cacheB: cache, parallel: parallel);
        return (c1, c2);
    }

    private static float[] Product(float[] a, float[] b, int bOffset, bool tb, int m, int n, int k, int level, bool cache)
    {
        var c = new float[m * n];
        Gemm.Multiply(false, tb, m, n, k, a, 0, b, bOffset, c, 0, accumulate: false, level, cacheB: cache);
        return c;
    }

    private static float[] Rand(Random rng, int n)
    {
        var r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float)(rng.NextDouble() * 2 - 1);
        return r;
    }
}
