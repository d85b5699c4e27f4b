using Autograd;
using Autograd.Testing;
using static Autograd.Ops;

namespace Autograd.Tests.Core;

/// <summary>The sweep hands a cotangent it owns to the next rule, which may write over it (tanh, sigmoid, relu, exp,
/// mul, add). These graphs are built to trip that up: fan-out of a value whose cotangent is reused, a node using the same input
/// twice, a shared bias whose running sum takes an add's cotangent, broadcasting, slices, and an intermediate node
/// asked for as a result. Gradients are checked against central differences, and nothing the caller can see may change.</summary>
public class BufferReuseTests
{
    private static readonly GradCheckOptions Options = GradCheckOptions.Default;

    public static TheoryData<string> Graphs => new(Functions.Keys);

    private static readonly Dictionary<string, Func<(Tensor X, Tensor W, Tensor B, Tensor Row), Tensor>> Functions = new()
    {
        // y's cotangent is summed from three uses, one of which rewrites its own in place
        ["fan-out"] = p => { var y = Tanh(p.X); return Sum(Sigmoid(y) * y + y * y + Tanh(y)); },
        // the same input twice: x·x under a chain that donates, and x + x
        ["self product"] = p => Sum(Sigmoid(Tanh(p.X * p.X))),
        ["self sum"] = p => Sum(Tanh(Sigmoid(p.X + p.X) * p.X)),
        // W6's recurrence: the weight and the bias are shared by every step, so add and mul meet running sums
        ["shared weight and bias"] = p =>
        {
            var h = p.X;
            for (int t = 0; t < 5; t++) h = Tanh(h * p.W + p.B);
            return Sum(h * h);
        },
        // relu on both sides of its kink (kept away from it, for the central differences) and exp, each over gy
        ["relu and exp"] = p => Sum(Exp(Relu(p.X * p.X + 0.1) * 0.5) * Relu(p.W - 5.0) + Exp(Tanh(Relu(p.B * p.B + 0.2)))),
        // a broadcast factor cannot take g·other in place; the other side can
        ["broadcast factor"] = p => Sum(Tanh(Sigmoid(p.X) * p.Row)),
        // gates as slices of one array, as a composed LSTM step takes them
        ["chunked gates"] = p =>
        {
            var g = Chunk(Concat([p.X, p.W], axis: -1), 2, axis: -1);
            var c = Sigmoid(g[0]) * p.B + Sigmoid(g[1]) * Tanh(g[0]);
            return Sum(Tanh(c) * Sigmoid(g[1]));
        },
    };

    private static (Tensor X, Tensor W, Tensor B, Tensor Row) Point()
    {
        var rng = new Random(11);
        return (Tensor.RandomNormal(Shape.Of(2, 3), rng, dtype: DType.Float64),
            Tensor.RandomNormal(Shape.Of(2, 3), rng, dtype: DType.Float64),
            Tensor.RandomNormal(Shape.Of(2, 3), rng, dtype: DType.Float64),
            Tensor.RandomNormal(Shape.Of(3), rng, dtype: DType.Float64));
    }

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Gradients_through_reused_buffers_match_central_differences(string graph) =>
        GradCheck.Assert(Functions[graph], Point(), Options);

    [Theory]
    [MemberData(nameof(Graphs))]
    public void Sweeping_leaves_values_seeds_and_earlier_results_untouched(string graph)
    {
        var p = Point();
        var y = Functions[graph](p) * 3.0;
        var nodes = Graph.Nodes(y).ToArray();
        var values = nodes.Select(n => n.ToDoubleArray()).ToArray();
        var seed = NDArray.Full(y.Shape, 1.0, DType.Float64);
        void Untouched()
        {
            Assert.Equal(1.0, seed.Item());
            for (int i = 0; i < nodes.Length; i++) Assert.Equal(values[i], nodes[i].ToDoubleArray());
        }
        // for the parameters alone, buffers are handed down the graph
        Tensor[] leaves = [p.X, p.W, p.B, p.Row];
        var alone = Backward.Run(y, seed, leaves);
        var aloneKept = alone.Select(g => g.ToDoubleArray()).ToArray();
        Untouched();
        // for every node, none can be: each cotangent is kept for the caller
        var all = Backward.Run(y, seed, nodes);
        var allKept = all.Select(g => g.ToDoubleArray()).ToArray();
        var again = Backward.Run(y, seed, nodes);
        Untouched();
        for (int i = 0; i < nodes.Length; i++)
        {
            Assert.Equal(allKept[i], all[i].ToDoubleArray());
            Assert.Equal(allKept[i], again[i].ToDoubleArray());
        }
        for (int i = 0; i < leaves.Length; i++)
        {
            Assert.Equal(aloneKept[i], alone[i].ToDoubleArray());
            int j = Array.IndexOf(nodes, leaves[i]);
            var expected = j >= 0 ? allKept[j] : new double[leaves[i].Size]; // zeros where y does not depend on it
            Assert.Equal(expected, aloneKept[i], (a, b) => Math.Abs(a - b) <= 1e-12 * (1 + Math.Abs(a)));
        }
    }

    // d/dt Σ σ(t) with t = tanh x: t's cotangent is kept for the caller, so tanh's rule must not write dy/dx over it.
    [Fact]
    public void An_intermediate_asked_for_keeps_its_own_cotangent()
    {
        var x = Tensor.FromArray([0.3, -1.2, 2.0]);
        var t = Tanh(x);
        var y = Sum(Sigmoid(t));
        var g = Backward.Run(y, NDArray.Full(y.Shape, 1.0, DType.Float64), [t, x]);
        var s = t.ToDoubleArray().Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
        var gt = s.Select(v => v * (1 - v)).ToArray();
        Assert.Equal(gt, g[0].ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-15);
        var gx = gt.Zip(t.ToDoubleArray(), (d, v) => d * (1 - v * v)).ToArray();
        Assert.Equal(gx, g[1].ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-15);
    }

    // A hand-written rule may return any array, here the value of a constant it closes over (straight-through, scaled
    // by nothing). The sweep cannot own that, so tanh's rule below must not write its cotangent over the constant.
    [Fact]
    public void An_array_a_custom_rule_returns_is_never_written_over()
    {
        var k = Tensor.FromArray([0.5, -2.0, 1.5]);
        var custom = Ad.CustomVjp("constant_grad", x => x * 2.0, (x, y, g) => k);
        var x0 = Tensor.FromArray([0.1, 0.7, -0.4]);
        var gx = Ad.Grad((Tensor x) => Sum(custom(Tanh(x))), x0).ToDoubleArray();
        Assert.Equal([0.5, -2.0, 1.5], k.ToDoubleArray());
        var expected = x0.ToDoubleArray().Zip(k.ToDoubleArray(), (v, kk) => kk * (1 - Math.Tanh(v) * Math.Tanh(v))).ToArray();
        Assert.Equal(expected, gx, (a, b) => Math.Abs(a - b) < 1e-15);
    }

    // A chain of 150 elementwise ops on 4,096 floats: one new cotangent per op would be 150 × 16 KB. With the buffer
    // handed down the chain the sweep allocates a few arrays in all. (Bytes allocated on this thread: exact, not timed.)
    [Fact]
    public void An_elementwise_chain_is_differentiated_without_a_new_array_per_op()
    {
        var x = Tensor.RandomNormal(Shape.Of(4096), seed: 2);
        var w = Tensor.RandomNormal(Shape.Of(4096), seed: 3);
        var h = x;
        for (int i = 0; i < 50; i++) h = Sigmoid(Tanh(h) * w);
        var y = Sum(h * h);
        var seed = NDArray.Full(y.Shape, 1.0);
        Backward.Run(y, seed, [x, w]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Backward.Run(y, seed, [x, w]);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(bytes < 20 * 4096 * 4, $"the sweep allocated {bytes} bytes for 150 elementwise nodes of 16 KB");
    }
}
