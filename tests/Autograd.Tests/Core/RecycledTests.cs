using Autograd;
using Autograd.Tensors;
using static Autograd.Ops;

namespace Autograd.Tests.Core;

/// <summary>The sweep hands the large cotangents it owns back once their rules have run (<see cref="Recycled"/>), and
/// the next large values reuse them. Nothing a caller holds may change because of that: not a gradient, not a value
/// of the graph, not a cotangent a user's own rule kept.</summary>
public class RecycledTests
{
    // [256, 128] float64: 256 KB, above the size from which arrays are reused.
    private static Tensor R(int seed, params int[] shape) => Tensor.RandomNormal(Shape.Of(shape), seed, std: 0.5, dtype: DType.Float64);

    private static readonly (Tensor X, Tensor W, Tensor M) P = (R(1, 256, 128), R(2, 256, 128), R(3, 128, 128));

    // Tanh, Mul and Affine hand fresh cotangents to the sweep, which drops them once propagated.
    private static (Tensor Loss, Tensor Hidden) F((Tensor X, Tensor W, Tensor M) p)
    {
        var h = Tanh(p.X * p.W);
        var y = Affine(Sigmoid(h) * h, p.M);
        return (Sum(y * y) + Sum(Tanh(y) * p.X), h);
    }

    [Fact]
    public void Reused_arrays_leave_earlier_gradients_and_values_as_they_were()
    {
        var (loss, hidden) = F(P);
        var hiddenBefore = hidden.ToDoubleArray();
        var first = Tree.Flatten(Ad.Grad(((Tensor X, Tensor W, Tensor M) p) => F(p).Loss, P));
        var copies = first.Select(g => g.ToDoubleArray()).ToList();
        long reused = Recycled.Reused;
        for (int i = 0; i < 4; i++)
        {
            var again = Tree.Flatten(Ad.Grad(((Tensor X, Tensor W, Tensor M) p) => F(p).Loss, P));
            for (int j = 0; j < copies.Count; j++) Assert.Equal(copies[j], again[j].ToDoubleArray());
        }
        Assert.True(Recycled.Reused > reused, "the later calls reused arrays the earlier sweeps dropped");
        for (int j = 0; j < copies.Count; j++) Assert.Equal(copies[j], first[j].ToDoubleArray());
        Assert.Equal(hiddenBefore, hidden.ToDoubleArray());
        Assert.Equal(loss.Item(), F(P).Loss.Item());
    }

    [Fact]
    public void Concurrent_sweeps_of_one_graph_agree_with_a_single_sweep()
    {
        var (y, pullback) = Ad.Vjp(((Tensor X, Tensor W, Tensor M) p) => F(p).Loss, P);
        var seed = Tensor.OnesLike(y);
        var expected = Tree.Flatten(pullback(seed)).Select(g => g.ToDoubleArray()).ToList();
        var results = new List<Tensor>[6];
        Parallel.For(0, results.Length, i => results[i] = Tree.Flatten(pullback(seed)));
        foreach (var r in results)
            for (int j = 0; j < expected.Count; j++) Assert.Equal(expected[j], r[j].ToDoubleArray());
    }

    [Fact]
    public void A_cotangent_a_users_rule_kept_is_not_reused()
    {
        var kept = new List<Tensor>();
        var custom = Ad.CustomVjp("keeps_g", x => x * 2.0, (x, y, g) => { kept.Add(g); return g * 2.0; });
        Tensor G(Tensor x) => Sum(Tanh(custom(Tanh(x * 3.0))) * x);
        Ad.Grad(G, P.X);
        var snapshot = kept[0].ToDoubleArray();
        for (int i = 0; i < 4; i++) Ad.Grad(G, P.W);
        Assert.Equal(snapshot, kept[0].ToDoubleArray());
    }
}
