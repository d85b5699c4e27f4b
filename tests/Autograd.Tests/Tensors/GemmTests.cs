using Autograd.Tensors;

namespace Autograd.Tests.Tensors;

/// <summary>The GEMM against a naive triple loop in double: every kernel level, transpose combination and
/// accumulate mode, over odd sizes and sizes around the micro-tile and block edges.</summary>
public class GemmTests
{
    public static TheoryData<int, int, int> Sizes() => new()
    {
        { 0, 3, 4 }, { 3, 0, 4 }, { 3, 4, 0 }, { 1, 1, 1 }, { 2, 9, 5 }, { 7, 5, 3 }, { 8, 32, 8 }, { 9, 33, 17 },
        { 17, 31, 65 }, { 31, 64, 129 }, { 130, 70, 300 }, { 260, 97, 41 }, { 64, 32, 523 }, { 401, 40, 20 }, { 20, 140, 30 },
        // Last tiles of 2 and 4 rows across three whole panels at a time, with panels left over, over two depth blocks.
        { 16, 96, 600 }, { 32, 112, 40 }, { 28, 50, 9 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Matches_the_naive_product(int m, int n, int k)
    {
        var rng = new Random(m * 10007 + n * 101 + k);
        for (int level = 0; level <= Gemm.KernelLevel; level++)
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
                foreach (var acc in new[] { false, true })
                {
                    Check<double>(rng, m, n, k, ta, tb, acc, level, 1e-12);
                    Check<float>(rng, m, n, k, ta, tb, acc, level, 1e-5 * (Math.Sqrt(k) + 1));
                }
    }

    private static void Check<T>(Random rng, int m, int n, int k, bool ta, bool tb, bool acc, int level, double tol)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int off = 3; // non-zero offsets catch indexing from the array start
        var a = Rand<T>(rng, off + m * k);
        var b = Rand<T>(rng, off + k * n);
        var c = Rand<T>(rng, off + m * n + 2);
        var c0 = (T[])c.Clone();
        Gemm.Multiply(ta, tb, m, n, k, a, off, b, off, c, off, acc, level);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = acc ? double.CreateChecked(c0[off + i * n + j]) : 0;
                for (int p = 0; p < k; p++)
                    s += double.CreateChecked(a[off + (ta ? p * m + i : i * k + p)]) * double.CreateChecked(b[off + (tb ? j * k + p : p * n + j)]);
                double got = double.CreateChecked(c[off + i * n + j]);
                Assert.True(Math.Abs(got - s) <= tol * (1 + Math.Abs(s)),
                    $"{typeof(T).Name} level {level} ta={ta} tb={tb} acc={acc} [{m},{n},{k}] at ({i},{j}): {got} vs {s}");
            }
        for (int i = 0; i < off; i++) Assert.Equal(c0[i], c[i]);                                  // before C untouched
        Assert.Equal(c0[off + m * n], c[off + m * n]);                                            // after C untouched
    }

    /// <summary>(m, k, n1, n2): tiny (two plain products), one thread, two threads; n1 a multiple of the panel width
    /// and not (the first product's last panel padded), and a second product of one column.</summary>
    public static TheoryData<int, int, int, int> PairSizes() => new()
    {
        { 0, 4, 3, 5 }, { 3, 0, 4, 4 }, { 2, 5, 3, 3 }, { 7, 9, 16, 32 }, { 9, 17, 13, 5 }, { 33, 65, 32, 1 },
        { 130, 300, 50, 70 }, { 260, 41, 64, 128 }, { 401, 600, 3, 40 }, { 16, 70, 48, 56 },
    };

    [Theory]
    [MemberData(nameof(PairSizes))]
    public void A_pair_matches_its_two_products(int m, int k, int n1, int n2)
    {
        var rng = new Random(m * 10007 + k * 101 + n1 * 7 + n2);
        for (int level = 0; level <= Gemm.KernelLevel; level++)
            foreach (var ta in new[] { false, true })
                foreach (var acc in new[] { false, true })
                {
                    CheckPair<double>(rng, m, k, n1, n2, ta, acc, level, 1e-12);
                    CheckPair<float>(rng, m, k, n1, n2, ta, acc, level, 1e-5 * (Math.Sqrt(k) + 1));
                }
    }

    [Fact]
    public void A_pair_names_the_operand_that_does_not_fit()
    {
        var (a, b1, c1, b2) = (new float[6 * 4], new float[4 * 3], new float[6 * 3], new float[4 * 5]);
        var e = Assert.Throws<ArgumentException>(() => Gemm.MultiplyPair(false, 6, 4, a, 0, 3, b1, 0, c1, 0, 5, b2, 0, new float[29], 0, false));
        Assert.Equal("c2", e.ParamName);
        Assert.Contains("30 are needed", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.MultiplyPair(false, 6, 4, a, 0, 3, b1, 1, c1, 0, 5, b2, 0, new float[30], 0, false));
        Assert.Equal("b1", e.ParamName);
    }

    private static void CheckPair<T>(Random rng, int m, int k, int n1, int n2, bool ta, bool acc, int level, double tol)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int off = 3;
        var a = Rand<T>(rng, off + m * k);
        var b1 = Rand<T>(rng, off + k * n1);
        var b2 = Rand<T>(rng, 2 * off + k * n2);
        var c1 = Rand<T>(rng, off + m * n1 + 2);
        var c2 = Rand<T>(rng, 2 * off + m * n2 + 2);
        var (c10, c20) = ((T[])c1.Clone(), (T[])c2.Clone());
        Gemm.MultiplyPair(ta, m, k, a, off, n1, b1, off, c1, off, n2, b2, 2 * off, c2, 2 * off, acc, level);
        foreach (var (n, b, bo, c, c0, name) in new[] { (n1, b1, off, c1, c10, "C1"), (n2, b2, 2 * off, c2, c20, "C2") })
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = acc ? double.CreateChecked(c0[bo + i * n + j]) : 0;
                    for (int p = 0; p < k; p++)
                        s += double.CreateChecked(a[off + (ta ? p * m + i : i * k + p)]) * double.CreateChecked(b[bo + p * n + j]);
                    double got = double.CreateChecked(c[bo + i * n + j]);
                    Assert.True(Math.Abs(got - s) <= tol * (1 + Math.Abs(s)),
                        $"{typeof(T).Name} level {level} ta={ta} acc={acc} [{m},{k},{n1}+{n2}] {name} at ({i},{j}): {got} vs {s}");
                }
            for (int i = 0; i < bo; i++) Assert.Equal(c0[i], c[i]);            // before C untouched
            Assert.Equal(c0[bo + m * n], c[bo + m * n]);                       // after C untouched
        }
    }

    private static T[] Rand<T>(Random rng, int n) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var r = new T[n];
        for (int i = 0; i < n; i++) r[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return r;
    }
}
