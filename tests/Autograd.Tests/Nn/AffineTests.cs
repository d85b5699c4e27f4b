using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

public class AffineTests
{
    private static readonly Tensor X = Tensor.RandomNormal(Shape.Of(2, 3, 4), 1, dtype: DType.Float64);
    private static readonly Tensor W = Tensor.RandomNormal(Shape.Of(5, 4), 2, dtype: DType.Float64);
    private static readonly Tensor B = Tensor.RandomNormal(Shape.Of(5), 3, dtype: DType.Float64);
    private static readonly Tensor R = Tensor.RandomNormal(Shape.Of(2, 3, 5), 4, dtype: DType.Float64);

    private static void Close(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], a[i], 12);
    }

    [Fact]
    public void Affine_equals_the_matmul_composite_in_value_and_gradient()
    {
        Close(MatMul(X, W.T) + B, Affine(X, W, B));
        var p = (X, W, B);
        var g1 = Ad.Grad(((Tensor X, Tensor W, Tensor B) q) => Sum(Affine(q.X, q.W, q.B) * R), p);
        var g2 = Ad.Grad(((Tensor X, Tensor W, Tensor B) q) => Sum((MatMul(q.X, q.W.T) + q.B) * R), p);
        Close(g2.X, g1.X);
        Close(g2.W, g1.W);
        Close(g2.B, g1.B);
    }

    [Fact]
    public void Affine_without_bias_and_on_a_vector()
    {
        var v = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 4);
        var y = Affine(v, W);
        Assert.Equal(Shape.Of(5), y.Shape);
        Close(MatMul(W, v), y);
        var g = Ad.Grad((Tensor w) => Sum(Affine(v, w)), W);
        // d/dW sum(W v) = 1 vᵀ: every row equals v.
        Assert.Equal(Enumerable.Repeat(new double[] { 1, 2, 3, 4 }, 5).SelectMany(r => r), g.ToDoubleArray());
    }

    [Fact]
    public void Affine_records_one_node()
    {
        var y = Affine(X, W, B);
        Assert.Equal("affine", y.Op!.Name);
        Assert.Equal(3, y.Inputs.Count);
        Assert.All(y.Inputs, t => Assert.True(t.IsLeaf));
    }

    [Fact]
    public void Affine_shape_errors_name_the_op_and_the_shapes()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Affine(X, Tensor.Zeros(Shape.Of(5, 3), DType.Float64)));
        Assert.Contains("Affine", ex.Message);
        Assert.Contains(X.Shape.ToString(), ex.Message);
        Assert.Contains(Shape.Of(5, 3).ToString(), ex.Message);
        var eb = Assert.Throws<ShapeMismatchException>(() => Affine(X, W, Tensor.Zeros(Shape.Of(4), DType.Float64)));
        Assert.Contains("Affine", eb.Message);
        Assert.Contains(Shape.Of(4).ToString(), eb.Message);
        Assert.Contains("[5]", eb.Message);
    }
}
