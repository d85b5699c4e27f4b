using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Core;

public class TensorValueTests
{
    [Fact]
    public void From_nested_and_rectangular_arrays_is_row_major()
    {
        var a = Tensor.From(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var b = Tensor.From(new[] { new[] { 1.0, 2, 3 }, new[] { 4.0, 5, 6 } });
        Assert.Equal(Shape.Of(2, 3), a.Shape);
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, a.ToDoubleArray());
        Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        Assert.Equal(6.0, a[1, 2]);
        Assert.Equal(DType.Float64, a.DType);
        Assert.Equal(DType.Float32, Tensor.From(new float[] { 1, 2 }).DType);
    }

    [Fact]
    public void Ragged_nested_array_is_rejected_with_the_axis()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Tensor.From(new[] { new[] { 1.0, 2 }, new[] { 3.0 } }));
        Assert.Contains("ragged", ex.Message);
    }

    [Fact]
    public void Creation_functions_match_numpy()
    {
        Assert.Equal(new double[] { 0, 0.5, 1, 1.5 }, Tensor.Arange(0, 2, 0.5, DType.Float64).ToDoubleArray());
        Assert.Equal(new double[] { 0, 1, 2 }, Tensor.Arange(3).ToDoubleArray());
        Assert.Equal(new double[] { 1, 1.25, 1.5, 1.75, 2 }, Tensor.Linspace(1, 2, 5, DType.Float64).ToDoubleArray());
        Assert.Equal(new double[] { 1, 0, 0, 0, 1, 0 }, Tensor.Eye(2, 3).ToDoubleArray());
        Assert.Equal(new double[] { 7, 7 }, Tensor.Full(Shape.Of(2), 7).ToDoubleArray());
        Assert.Equal(Shape.Of(3), Tensor.FromArray(new double[] { 1, 2, 3 }).Shape);
        Assert.Equal(0.0, Tensor.Zeros(Shape.Of(2, 2)).ToDoubleArray().Sum());
        Assert.Equal(4.0, Tensor.Ones(Shape.Of(2, 2)).ToDoubleArray().Sum());
    }

    [Fact]
    public void Random_tensors_depend_only_on_the_seed()
    {
        var a = Tensor.RandomNormal(Shape.Of(1000), seed: 7, dtype: DType.Float64);
        var b = Tensor.RandomNormal(Shape.Of(1000), seed: 7, dtype: DType.Float64);
        var c = Tensor.RandomNormal(Shape.Of(1000), seed: 8, dtype: DType.Float64);
        Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        Assert.NotEqual(a.ToDoubleArray(), c.ToDoubleArray());
        var v = a.ToDoubleArray();
        Assert.InRange(v.Average(), -0.15, 0.15);
        Assert.InRange(Math.Sqrt(v.Select(x => x * x).Average()), 0.9, 1.1);
        var u = Tensor.RandomUniform(Shape.Of(1000), seed: 1, low: 2, high: 3).ToDoubleArray();
        Assert.All(u, x => Assert.InRange(x, 2, 3));
    }

    [Fact]
    public void ToString_shows_values_dtype_and_shape_like_numpy()
    {
        var s = Tensor.From(new double[,] { { 1, 2 }, { 3, 4.5 } }).ToString();
        Assert.Equal("tensor([[ 1.,  2.],\n        [ 3., 4.5]], dtype=float64, shape=[2, 2])", s);
        Assert.Equal("tensor(3., dtype=float32, shape=[])", Tensor.Scalar(3).ToString());
    }

    [Fact]
    public void ToString_elides_large_tensors()
    {
        var s = Tensor.Arange(10000).ToString();
        Assert.Contains("...", s);
        Assert.Contains("9999.", s);
        Assert.True(s.Length < 200, s);
    }

    [Fact]
    public void Broadcasting_follows_numpy_rules()
    {
        var a = Tensor.From(new double[,] { { 1 }, { 2 } });          // [2, 1]
        var b = Tensor.FromArray(new double[] { 10, 20, 30 }, 3);     // [3]
        var c = a + b;
        Assert.Equal(Shape.Of(2, 3), c.Shape);
        Assert.Equal(new double[] { 11, 21, 31, 12, 22, 32 }, c.ToDoubleArray());
        Assert.Equal(new double[] { 2, 4 }, (a * 2.0).ToDoubleArray());
        Assert.Equal(new double[] { -9, -19, -29 }, (1.0 - b).ToDoubleArray());
    }

    [Fact]
    public void Mixed_dtypes_promote_to_float64_and_gradients_keep_each_dtype()
    {
        var a = Tensor.FromArray(new float[] { 1, 2 }, 2);
        var b = Tensor.FromArray(new double[] { 3, 4 }, 2);
        Assert.Equal(DType.Float64, (a * b).DType);
        var (ga, gb) = Ad.Grad(((Tensor a, Tensor b) p) => Sum(p.a * p.b), (a, b));
        Assert.Equal(DType.Float32, ga.DType);
        Assert.Equal(new double[] { 3, 4 }, ga.ToDoubleArray());
        Assert.Equal(new double[] { 1, 2 }, gb.ToDoubleArray());
    }

    [Fact]
    public void Reductions_and_shapes_compute_expected_values()
    {
        var x = Tensor.From(new double[,] { { 1, 5, 3 }, { 4, 2, 6 } });
        Assert.Equal(new double[] { 5, 7, 9 }, Sum(x, 0).ToDoubleArray());
        Assert.Equal(Shape.Of(2, 1), Sum(x, 1, keepDim: true).Shape);
        Assert.Equal(21, Sum(x).Item());
        Assert.Equal(3.5, Mean(x).Item());
        Assert.Equal(new double[] { 5, 6 }, Max(x, 1).ToDoubleArray());
        Assert.Equal(6, Max(x, null).Item());
        Assert.Equal(new double[] { 1, 4, 5, 2, 3, 6 }, x.T.ToDoubleArray());
        Assert.Equal(new double[] { 5, 2 }, Slice(x, 1, 1, 2).ToDoubleArray());
        Assert.Equal(new double[] { 1, 3, 4, 6 }, Slice(x, 1, 0, null, 2).ToDoubleArray());
        Assert.Equal(Shape.Of(2, 2, 3), Stack([x, x]).Shape);
        var parts = Chunk(x, 3, axis: 1);
        Assert.Equal(new double[] { 3, 6 }, parts[2].ToDoubleArray());
        Assert.Equal(new double[] { 4, 2, 6, 1, 5, 3 }, GatherRows(x, [1, 0]).ToDoubleArray());
        Assert.Equal(new double[] { 2, 3, 3, 3, 2, 3 }, Clamp(x, 2, 3).ToDoubleArray());
    }

    [Fact]
    public void MatMul_supports_vectors_batches_and_a_shared_right_operand()
    {
        var a = Tensor.From(new double[,] { { 1, 2 }, { 3, 4 } });
        var v = Tensor.FromArray(new double[] { 1, 1 }, 2);
        Assert.Equal(new double[] { 3, 7 }, MatMul(a, v).ToDoubleArray());
        Assert.Equal(new double[] { 4, 6 }, MatMul(v, a).ToDoubleArray());
        var batch = Stack([a, a * 2.0]);                   // [2, 2, 2]
        var r = MatMul(batch, a);                          // shared right operand
        Assert.Equal(Shape.Of(2, 2, 2), r.Shape);
        Assert.Equal(new double[] { 7, 10, 15, 22, 14, 20, 30, 44 }, r.ToDoubleArray());
        Assert.Equal(r.ToDoubleArray(), MatMul(batch, Stack([a, a])).ToDoubleArray());
    }

    [Fact]
    public void Softmax_family_is_stable_for_huge_logits()
    {
        var x = Tensor.FromArray(new double[] { 1000, 999, -1000 }, 1, 3);
        var p = Softmax(x, 1).ToDoubleArray();
        Assert.Equal(1 / (1 + Math.Exp(-1)), p[0], 12);
        Assert.Equal(0, p[2], 12);
        Assert.Equal(1000 + Math.Log(1 + Math.Exp(-1)), LogSumExp(x, 1).Item(), 9);
        Assert.Equal(-Math.Log(1 + Math.Exp(-1)), LogSoftmax(x, 1).ToDoubleArray()[0], 12);
        Assert.Equal(Math.Log(1 + Math.Exp(-1)), CrossEntropy(x, [0]).Item(), 12);
        Assert.All(Ad.Grad((Tensor t) => CrossEntropy(t, [2]), x).ToDoubleArray(), g => Assert.True(double.IsFinite(g)));
    }

    [Fact]
    public void Cross_entropy_ignores_the_ignore_label_in_value_and_gradient()
    {
        var x = Tensor.From(new double[,] { { 1, 2, 3 }, { 3, 2, 1 }, { 0, 0, 0 } });
        var full = CrossEntropy(Slice(x, 0, 0, 2), [2, 0]).Item();
        Assert.Equal(full, CrossEntropy(x, [2, 0, -100]).Item(), 14);
        var g = Ad.Grad((Tensor t) => CrossEntropy(t, [2, 0, -100]), x).ToDoubleArray();
        Assert.Equal(new double[] { 0, 0, 0 }, g[6..]);
    }

    [Fact]
    public void Dropout_is_deterministic_in_its_seed_and_keeps_the_expectation()
    {
        var x = Tensor.Ones(Shape.Of(10000), DType.Float64);
        var a = Dropout(x, 0.25, seed: 3).ToDoubleArray();
        Assert.Equal(a, Dropout(x, 0.25, seed: 3).ToDoubleArray());
        Assert.All(a, v => Assert.True(v == 0 || Math.Abs(v - 4.0 / 3) < 1e-12));
        Assert.InRange(a.Average(), 0.95, 1.05);
    }
}
