using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Core;

/// <summary>The reverse sweep's bookkeeping: the id-indexed tables and the dictionary fallback agree exactly; a weight
/// shared by many steps (accumulated in place by Affine's rule) gets the sum of its per-step contributions.</summary>
public class SweepTests
{
    // An unrolled recurrence: shared weights (Affine accumulates gW into the sweep's buffer), slices of a sequence
    // (accumulating VJP), fan-out of h, and a leaf that the output does not depend on.
    private static (Tensor Y, Tensor[] Wrt) Unroll(DType dtype)
    {
        var rng = new Random(3);
        var xs = Tensor.RandomNormal(Shape.Of(5, 3, 4), rng, dtype: dtype);
        var w = Tensor.RandomNormal(Shape.Of(6, 4), rng, dtype: dtype);
        var u = Tensor.RandomNormal(Shape.Of(6, 6), rng, dtype: dtype);
        var b = Tensor.RandomNormal(Shape.Of(6), rng, dtype: dtype);
        var unused = Tensor.RandomNormal(Shape.Of(2), rng, dtype: dtype);
        var h = Tensor.Zeros(Shape.Of(3, 6), dtype);
        for (int t = 0; t < 5; t++) h = Tanh(Affine(Index(xs, t), w, b) + Affine(h, u) + 0.5 * h);
        return (Sum(h * h), [xs, w, u, b, unused, h]);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Id_indexed_tables_and_the_dictionary_fallback_agree_exactly(DType dtype)
    {
        var (y, wrt) = Unroll(dtype);
        var seed = NDArray.Full(y.Shape, 1.0, dtype);
        var dense = Backward.Run(y, seed, wrt);
        var sparse = Backward.Run(y, seed, wrt, denseRangeLimit: 0);
        for (int i = 0; i < wrt.Length; i++) Assert.True(dense[i].ValueEquals(sparse[i]), $"wrt {i}");
        Assert.True(dense[4].ValueEquals(NDArray.Zeros(Shape.Of(2), dtype))); // no path
        Assert.Equal(wrt[5].ToDoubleArray().Select(v => 2 * v), dense[5].ToDoubleArray());
    }

    [Fact]
    public void A_weight_shared_by_steps_gets_the_sum_of_the_composite_gradients()
    {
        var rng = new Random(4);
        var xs = Tensor.RandomNormal(Shape.Of(4, 2, 3), rng, dtype: DType.Float64);
        var w0 = Tensor.RandomNormal(Shape.Of(3, 3), rng, dtype: DType.Float64);
        Tensor Run(Tensor w, Func<Tensor, Tensor, Tensor> lin)
        {
            var h = Tensor.Zeros(Shape.Of(2, 3), DType.Float64);
            for (int t = 0; t < 4; t++) h = Tanh(lin(Index(xs, t), w) + lin(h, w));
            return Sum(h);
        }
        var fused = Ad.Grad((Tensor w) => Run(w, (x, q) => Affine(x, q)), w0).ToDoubleArray();
        var composite = Ad.Grad((Tensor w) => Run(w, (x, q) => MatMul(x, Transpose(q, 0, 1))), w0).ToDoubleArray();
        for (int i = 0; i < fused.Length; i++) Assert.Equal(composite[i], fused[i], 12);
    }

    // Mul adds g·other into the running sum of a factor used by many products (W6's weight); with broadcasting, or a
    // factor used once, it returns a new array. Against the sum by hand: d/dw Σ_k Σ(x_k ⊙ w) = Σ_k x_k, and
    // d/dx Σ(x ⊙ x) used three times = 6x.
    [Fact]
    public void A_factor_shared_by_many_products_gets_the_sum_of_its_contributions()
    {
        var rng = new Random(5);
        var xs = Enumerable.Range(0, 6).Select(_ => Tensor.RandomNormal(Shape.Of(2, 3), rng, dtype: DType.Float64)).ToArray();
        var w0 = Tensor.RandomNormal(Shape.Of(2, 3), rng, dtype: DType.Float64);
        var row = Tensor.RandomNormal(Shape.Of(3), rng, dtype: DType.Float64);
        var (gw, grow) = Ad.Grad(((Tensor W, Tensor Row) p) =>
            xs.Select(x => Sum(x * p.W) + Sum(x * p.Row)).Aggregate((a, b) => a + b), (w0, row));
        var expected = new double[6];
        foreach (var x in xs) expected = expected.Zip(x.ToDoubleArray(), (e, v) => e + v).ToArray();
        Assert.Equal(expected, gw.ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        // the broadcast factor [3] sums each column over the rows
        var columns = Enumerable.Range(0, 3).Select(j => expected[j] + expected[3 + j]).ToArray();
        Assert.Equal(columns, grow.ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-12);

        var gx = Ad.Grad((Tensor x) => Sum(x * x) + Sum(x * x) + Sum(x * x), w0).ToDoubleArray();
        Assert.Equal(w0.ToDoubleArray().Select(v => 6 * v), gx, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void Sweeping_twice_gives_the_same_result_and_leaves_earlier_gradients_untouched()
    {
        var (y, wrt) = Unroll(DType.Float32);
        var seed = NDArray.Full(y.Shape, 1.0, DType.Float32);
        var first = Backward.Run(y, seed, wrt);
        var copies = first.Select(g => g.ToFloatArray()).ToArray();
        var second = Backward.Run(y, seed, wrt);
        for (int i = 0; i < wrt.Length; i++)
        {
            Assert.Equal(copies[i], first[i].ToFloatArray());
            Assert.True(first[i].ValueEquals(second[i]));
        }
    }
}
