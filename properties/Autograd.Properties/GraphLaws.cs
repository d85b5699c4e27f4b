using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Autograd.Properties;

/// <summary>Laws of the recorded graph and the reverse sweep.</summary>
public sealed class GraphLaws
{
    public sealed record Layer(Tensor W, Tensor B);

    public sealed record Net(Layer[] Layers, Tensor Scale);

    private static Tensor Rand(int seed, params int[] shape) => Tensor.RandomUniform(Shape.Of(shape), seed, -1, 1, DType.Float64);

    private static Net MakeNet() => new([new Layer(Rand(1, 3, 4), Rand(2, 4)), new Layer(Rand(3, 4, 2), Rand(4, 2))], Rand(5));

    private static Tensor Loss(Net p, Tensor x)
    {
        var h = x;
        foreach (var l in p.Layers) h = Tanh(MatMul(h, l.W) + l.B);
        return Sum(h * h) * p.Scale + LogSumExp(Reshape(h, -1), 0);
    }

    private static long[] Bits(Tensor t) => t.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).ToArray();

    private static void AssertBitwiseEqual(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++) Assert.Equal(Bits(a[i]), Bits(b[i]));
    }

    [Fact]
    public void Backward_twice_on_the_same_graph_gives_bitwise_identical_gradients()
    {
        var p = MakeNet();
        var wrt = Tree.Flatten(p);
        var y = Loss(p, Rand(6, 5, 3));
        var first = Ad.Gradients(y, wrt);
        var second = Ad.Gradients(y, wrt);
        AssertBitwiseEqual(first, second);
        Assert.Contains(first, g => g.ToDoubleArray().Any(v => v != 0)); // a real gradient, not all zeros
    }

    [Fact]
    public void Inputs_are_never_changed_by_forward_or_backward()
    {
        var p = MakeNet();
        var x = Rand(6, 5, 3);
        var leaves = Tree.Flatten(p).Append(x).ToList();
        var before = leaves.Select(Bits).ToList();
        var y = Loss(p, x);
        Ad.Gradients(y, leaves);
        Ad.ValueAndGrad((Net q) => Loss(q, x), p);
        Ad.Vjp((Net q) => Tanh(MatMul(x, q.Layers[0].W)), p).Pullback(Rand(7, 5, 4));
        for (int i = 0; i < leaves.Count; i++) Assert.Equal(before[i], Bits(leaves[i]));
    }

    [Property(MaxTest = 20)]
    public Property A_leaf_used_k_times_gets_k_contributions() => Prop.ForAll(
        Arb.From(Gen.Choose(1, 12)), Generators.TensorArb(Domain.Any, 0, 2, 3), (k, x) =>
        {
            var g = Ad.Grad((Tensor t) =>
            {
                var s = t;
                for (int i = 1; i < k; i++) s = s + t;
                return Sum(s);
            }, x);
            return g.ToDoubleArray().All(v => v == k).Label($"k={k}, gradient {g}");
        });

    [Property(MaxTest = 20)]
    public Property The_gradient_of_x_times_x_is_2x() => Prop.ForAll(Generators.TensorArb(Domain.Any), x =>
    {
        var g = Ad.Grad((Tensor t) => Sum(t * t), x).ToDoubleArray();
        var expected = x.ToDoubleArray().Select(v => 2 * v);
        return g.SequenceEqual(expected).Label($"x={x}");
    });

    [Fact]
    public async Task Concurrent_backward_equals_sequential_bitwise()
    {
        var p = MakeNet();
        var wrt = Tree.Flatten(p);
        var y = Loss(p, Rand(6, 16, 3));
        var sequential = Ad.Gradients(y, wrt);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Ad.Gradients(y, wrt))));
        foreach (var r in results) AssertBitwiseEqual(sequential, r);
    }

    [Fact]
    public void ValueAndGrad_over_a_record_returns_the_same_record_type_with_the_gradients()
    {
        var p = MakeNet();
        var x = Rand(6, 5, 3);
        var (value, grad) = Ad.ValueAndGrad((Net q) => Loss(q, x), p);
        Assert.IsType<Net>(grad);
        Assert.Equal(Loss(p, x).Item(), value.Item());
        Assert.Equal(p.Layers.Length, grad.Layers.Length);
        // The same numbers as the cotangents of the leaves of one recorded graph, in Tree order.
        var wrt = Tree.Flatten(p);
        var expected = Ad.Gradients(Loss(p, x), wrt);
        AssertBitwiseEqual(expected, Tree.Flatten(grad));
        for (int i = 0; i < wrt.Count; i++) Assert.Equal(wrt[i].Shape, Tree.Flatten(grad)[i].Shape);
        Assert.Equal(["Layers[0].W", "Layers[0].B", "Layers[1].W", "Layers[1].B", "Scale"], Tree.FlattenWithPaths(grad).Select(e => e.Path));
    }

    [Fact]
    public void A_100000_op_chain_differentiates_on_a_1_MB_stack()
    {
        const int n = 100_000;
        const double c = 1.00001;
        double? gradient = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                var k = Tensor.Scalar(c, DType.Float64);
                gradient = Ad.Grad((Tensor x) =>
                {
                    var y = x;
                    for (int i = 0; i < n; i++) y = y * k;
                    return y;
                }, Tensor.Scalar(1, DType.Float64)).Item();
            }
            catch (Exception e) { error = e; }
        }, maxStackSize: 1 << 20);
        thread.Start();
        thread.Join();
        Assert.Null(error);
        Assert.Equal(Math.Pow(c, n), gradient ?? double.NaN, 1e-9);
    }
}
