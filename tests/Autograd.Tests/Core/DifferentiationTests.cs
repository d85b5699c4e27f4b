using System.Collections.Immutable;
using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Core;

public sealed record Affine(Tensor W, Tensor B);

public sealed record Stack2(ImmutableArray<Affine> Layers, Tensor Scale, [property: NonDifferentiable] int Width);

public class DifferentiationTests
{
    private static readonly Tensor X = Tensor.From(new double[,] { { 1, -2 }, { 0.5, 3 } });

    [Fact]
    public void Grad_of_a_polynomial_matches_the_calculus()
    {
        // f(x) = sum(x^3 + 2x) → f'(x) = 3x² + 2
        var g = Ad.Grad((Tensor x) => Sum(Pow(x, 3) + 2.0 * x), X).ToDoubleArray();
        Assert.Equal(X.ToDoubleArray().Select(x => 3 * x * x + 2), g);
    }

    [Fact]
    public void ValueAndGrad_over_a_record_returns_the_same_record_type()
    {
        var p = new Affine(Tensor.From(new double[,] { { 1, 2 }, { 3, 4 } }), Tensor.FromArray(new double[] { 0.5, -0.5 }, 2));
        var (loss, g) = Ad.ValueAndGrad((Affine q) => Sum(MatMul(X, q.W) + q.B), p);
        Assert.IsType<Affine>(g);
        // d/dW sum(X W + b) = Xᵀ 1, d/db = rows of X
        Assert.Equal(new double[] { 1.5, 1.5, 1, 1 }, g.W.ToDoubleArray());
        Assert.Equal(new double[] { 2, 2 }, g.B.ToDoubleArray());
        Assert.Equal(MatMul(X, p.W).ToDoubleArray().Sum() + 2 * 0, loss.Item(), 12);
    }

    [Fact]
    public void Nested_records_lists_and_carried_members_round_trip()
    {
        var layer = new Affine(Tensor.Ones(Shape.Of(2, 2), DType.Float64), Tensor.Zeros(Shape.Of(2), DType.Float64));
        var p = new Stack2([layer, layer with { B = Tensor.Ones(Shape.Of(2), DType.Float64) }], Tensor.Scalar(2, DType.Float64), Width: 2);
        var g = Ad.Grad((Stack2 s) =>
        {
            var h = X;
            foreach (var l in s.Layers) h = MatMul(h, l.W) + l.B;
            return Sum(h) * s.Scale;
        }, p);
        Assert.Equal(2, g.Width);
        Assert.Equal(2, g.Layers.Length);
        Assert.Equal(new double[] { 4, 4 }, g.Layers[1].B.ToDoubleArray());
        Assert.Equal(Shape.Of(2, 2), g.Layers[0].W.Shape);
        Assert.Equal(Sum(MatMul(MatMul(X, layer.W) + layer.B, layer.W)).Item() + 2 * 2, g.Scale.Item(), 12);
    }

    [Fact]
    public void ValueAndGrad_returns_values_cut_from_the_traced_graph()
    {
        var (value, g) = Ad.ValueAndGrad((Tensor x) => Sum(Tanh(x)), X);
        Assert.True(value.IsLeaf);
        Assert.Equal(X.ToDoubleArray().Sum(Math.Tanh), value.Item(), 12);
        Assert.True(g.IsLeaf);

        var (v2, aux, _) = Ad.ValueAndGrad((Tensor x) => { var h = Tanh(x); return (Sum(h), (H: h, Doubled: h * 2.0)); }, X);
        Assert.True(v2.IsLeaf);
        Assert.True(aux.H.IsLeaf && aux.Doubled.IsLeaf);
        Assert.All(X.ToDoubleArray().Zip(aux.H.ToDoubleArray()), p => Assert.Equal(Math.Tanh(p.First), p.Second, 14));

        var (_, label, _) = Ad.ValueAndGrad((Tensor x) => (Sum(x), "not a tree"), X);
        Assert.Equal("not a tree", label);
    }

    [Fact]
    public void A_record_with_a_plain_member_is_rejected_by_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ad.Grad((BadParams b) => Sum(b.W), new BadParams(X, 3)));
        Assert.Contains("Count", ex.Message);
        Assert.Contains("Int32", ex.Message);
        Assert.Contains("NonDifferentiable", ex.Message);
    }

    public sealed record BadParams(Tensor W, int Count);

    [Fact]
    public void Grad_requires_a_one_element_output()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Ad.Grad((Tensor x) => x * 2.0, X));
        Assert.Contains("[2, 2]", ex.Message);
    }

    [Fact]
    public void Vjp_pullback_can_be_called_repeatedly_with_different_cotangents()
    {
        var (y, pull) = Ad.Vjp((Tensor x) => x * x, X);
        var ones = pull(Tensor.OnesLike(y)).ToDoubleArray();
        var twos = pull(Tensor.Full(y.Shape, 2, DType.Float64)).ToDoubleArray();
        Assert.Equal(X.ToDoubleArray().Select(v => 2 * v), ones);
        Assert.Equal(X.ToDoubleArray().Select(v => 4 * v), twos);
    }

    [Fact]
    public void StopGradient_blocks_the_flow()
    {
        var g = Ad.Grad((Tensor x) => Sum(x * StopGradient(x)), X).ToDoubleArray();
        Assert.Equal(X.ToDoubleArray(), g);
    }

    [Fact]
    public void Gradients_reach_intermediate_nodes_and_unrelated_nodes_get_zeros()
    {
        var x = new Tensor(X.Value);
        var h = Tanh(x);
        var y = Sum(h * 3.0);
        var unrelated = new Tensor(X.Value);
        var gs = Ad.Gradients(y, [h, x, unrelated]);
        Assert.Equal(new double[] { 3, 3, 3, 3 }, gs[0].ToDoubleArray());
        Assert.Equal(X.ToDoubleArray().Select(v => 3 * (1 - Math.Tanh(v) * Math.Tanh(v))), gs[1].ToDoubleArray().Select(v => v), new Tolerance(1e-12));
        Assert.Equal(new double[4], gs[2].ToDoubleArray());
    }

    [Fact]
    public void CustomVjp_uses_the_hand_written_rule()
    {
        // A deliberately distinctive rule (not the true derivative) proves which rule ran.
        var f = Ad.CustomVjp("twice", x => x * 2.0, (x, y, g) => g * 5.0);
        var y = f(X);
        Assert.Equal(X.ToDoubleArray().Select(v => 2 * v), y.ToDoubleArray());
        Assert.Equal("twice", y.Op!.Name);
        Assert.Equal(new double[] { 5, 5, 5, 5 }, Ad.Grad((Tensor x) => Sum(f(x)), X).ToDoubleArray());
    }

    [Fact]
    public void The_graph_is_a_value_that_can_be_listed_and_drawn()
    {
        var x = new Tensor(X.Value);
        var y = Sum(Tanh(x * 2.0));
        var nodes = Graph.Nodes(y);
        Assert.Equal(new[] { "leaf", "leaf", "mul", "tanh", "sum" }, nodes.Select(n => n.Op?.Name ?? "leaf"));
        Assert.Same(y, nodes[^1]);
        Assert.All(nodes.Zip(nodes.Skip(1)), p => Assert.True(p.First.Id < p.Second.Id));
        Assert.Contains("tanh", Graph.Describe(y));
        Assert.StartsWith("digraph", Graph.ToDot(y));
    }

    [Fact]
    public void Every_node_lists_its_inputs_in_order_whatever_their_number()
    {
        // Nodes keep one or two inputs in fields and more in an array: each arity must read back the same.
        Tensor a = new(X.Value), b = new((X * 2.0).Value), c = new((X * 3.0).Value);
        Assert.Empty(a.Inputs);
        Assert.Equal(new[] { a }, Tanh(a).Inputs);
        Assert.Equal(new[] { b, a }, (b * a).Inputs);
        Assert.Equal(new[] { a, a }, (a * a).Inputs);
        var concat = Concat([c, a, b, a], axis: 0);
        Assert.Equal(new[] { c, a, b, a }, concat.Inputs);
        Assert.Contains($"concat(axis=0)(%{c.Id}, %{a.Id}, %{b.Id}, %{a.Id})", Graph.Describe(concat));
        // The sweep reads the same inputs: d/da Σ (a·a + concat(c, a, b, a)) = 2a + 2 (a appears twice in the concat).
        var g = Ad.Grad((Tensor x) => Sum(x * x) + Sum(Concat([c, x, b, x], axis: 0)), a).ToDoubleArray();
        Assert.Equal(X.ToDoubleArray().Select(v => 2 * v + 2), g);
    }

    // A recorded op is the node, its value's header and its data: nothing else stays live until the sweep (an inputs
    // array per node would add 40 bytes). On 64-bit .NET: node 64, NDArray 32, float[10] 64. (Bytes allocated on this
    // thread: exact, not timed.)
    [Fact]
    public void Recording_an_op_allocates_its_node_its_array_and_its_data_only()
    {
        var w = Tensor.RandomNormal(Shape.Of(1, 10), seed: 1);
        var x = Tensor.RandomNormal(Shape.Of(1, 10), seed: 2);
        Tensor Chain(int n) { var h = x; for (int i = 0; i < n; i++) h = Tanh(h * w); return h; }
        Chain(10); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        var y = Chain(1000);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(2002, Graph.Nodes(y).Length); // 2,000 recorded ops and the leaves x and w
        Assert.True(bytes <= 2000 * (64 + 32 + 64) + 1024, $"recording 2,000 ops allocated {bytes} bytes, {bytes / 2000.0:F1} per op");
    }

    [Fact]
    public void Relu_gradient_at_zero_is_zero_like_pytorch()
    {
        var g = Ad.Grad((Tensor x) => Sum(Relu(x)), Tensor.FromArray(new double[] { -1, 0, 2 }, 3)).ToDoubleArray();
        Assert.Equal(new double[] { 0, 0, 1 }, g);
    }

    [Fact]
    public void Repeated_embedding_indices_accumulate()
    {
        var table = Tensor.Ones(Shape.Of(3, 2), DType.Float64);
        var g = Ad.Grad((Tensor t) => Sum(GatherRows(t, [2, 0, 2, 2])), table).ToDoubleArray();
        Assert.Equal(new double[] { 1, 1, 0, 0, 3, 3 }, g);
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;
        public int GetHashCode(double v) => 0;
    }
}
