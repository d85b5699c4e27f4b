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
