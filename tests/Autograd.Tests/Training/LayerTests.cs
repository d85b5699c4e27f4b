using Autograd;
using Autograd.Nn;

namespace Autograd.Tests.Training;

public class LayerTests
{
    [Fact]
    public void Linear_computes_x_times_W_transposed_plus_b()
    {
        // W = [[1, 2, 3], [4, 5, 6]] (out 2, in 3), b = [10, 20], x = [[1, 0, -1], [2, 1, 0]]
        var layer = new Linear(Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, 2, 3), Tensor.FromArray(new double[] { 10, 20 }, 2));
        var y = layer.Apply(Tensor.FromArray(new double[] { 1, 0, -1, 2, 1, 0 }, 2, 3));
        Assert.Equal(new[] { 2, 2 }, y.Shape.ToArray());
        Assert.Equal(new double[] { 1 - 3 + 10, 4 - 6 + 20, 2 + 2 + 10, 8 + 5 + 20 }, y.ToDoubleArray());
    }

    [Fact]
    public void Linear_applies_to_every_leading_position_and_works_without_bias()
    {
        var layer = new Linear(Tensor.FromArray(new double[] { 1, -1 }, 1, 2), null);
        var y = layer.Apply(Tensor.FromArray(new double[] { 3, 1, 5, 2, 0, 4 }, 3, 1, 2));
        Assert.Equal(new[] { 3, 1, 1 }, y.Shape.ToArray());
        Assert.Equal(new double[] { 2, 3, -4 }, y.ToDoubleArray());
    }

    [Fact]
    public void Linear_rejects_the_wrong_feature_count()
    {
        var layer = Linear.Create(3, 2, new Random(1));
        var ex = Assert.Throws<ShapeMismatchException>(() => layer.Apply(Tensor.Zeros(Shape.Of(4, 2))));
        Assert.Contains("3 features", ex.Message);
    }

    [Fact]
    public void Linear_init_follows_PyTorch_bounds_and_is_seeded()
    {
        var a = Linear.Create(16, 8, new Random(7));
        var b = Linear.Create(16, 8, new Random(7));
        Assert.Equal(new[] { 8, 16 }, a.Weight.Shape.ToArray());
        Assert.Equal(new[] { 8 }, a.Bias!.Shape.ToArray());
        Assert.Equal(DType.Float32, a.Weight.DType);
        Assert.All(a.Weight.ToDoubleArray().Concat(a.Bias.ToDoubleArray()), v => Assert.InRange(Math.Abs(v), 0, 0.25));
        // The draws fill the range rather than collapsing near zero.
        Assert.True(a.Weight.ToDoubleArray().Max(Math.Abs) > 0.2);
        Assert.Equal(a.Weight.ToDoubleArray(), b.Weight.ToDoubleArray());
        Assert.Equal(a.Bias.ToDoubleArray(), b.Bias!.ToDoubleArray());
        Assert.Null(Linear.Create(4, 2, new Random(1), DType.Float64, bias: false).Bias);
    }

    [Fact]
    public void Embedding_picks_rows_in_the_index_shape_and_its_gradient_accumulates()
    {
        var emb = new Embedding(Tensor.FromArray(new double[] { 0, 1, 10, 11, 20, 21 }, 3, 2));
        var y = emb.Apply([2, 0, 2, 1], [2, 2]);
        Assert.Equal(new[] { 2, 2, 2 }, y.Shape.ToArray());
        Assert.Equal(new double[] { 20, 21, 0, 1, 20, 21, 10, 11 }, y.ToDoubleArray());
        var g = Ad.Grad((Embedding e) => Ops.Sum(e.Apply([2, 0, 2])), emb);
        Assert.Equal(new double[] { 1, 1, 0, 0, 2, 2 }, g.Weight.ToDoubleArray());
    }

    [Fact]
    public void Embedding_init_is_standard_normal()
    {
        var e = Embedding.Create(100, 50, new Random(3));
        var v = e.Weight.ToDoubleArray();
        double mean = v.Average(), std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(std, 0.95, 1.05);
    }
}
