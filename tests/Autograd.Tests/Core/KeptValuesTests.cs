using System.Buffers;
using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Core;

/// <summary>The arrays a sequence node keeps for its rule (<see cref="Residuals"/>): <see cref="Ad.ValueAndGrad{P}"/>
/// gives them back to the pool during its sweep, and a node kept from inside the traced function still differentiates
/// to the same gradient afterwards, bit for bit, even when the pool has handed those arrays to other code since.</summary>
public class KeptValuesTests
{
    private const int T = 4, B = 3, D = 5, H = 6;

    private static Tensor R(int seed, params int[] shape) => Tensor.RandomNormal(Shape.Of(shape), seed, std: 0.5, dtype: DType.Float64);

    private static readonly Tensor Wl = R(1, 4 * H, D), Ul = R(2, 4 * H, H), Bl = R(3, 4 * H), Wg = R(4, 3 * H, D), Ug = R(5, 3 * H, H),
        H0 = R(6, B, H), C0 = R(7, B, H), Weights = R(8, T, B, H), Ws = R(9, H, D), Us = R(10, H, H);

    /// <summary>A loss through one node of each kind that keeps arrays: the node's name and the function of x [T, B, D].</summary>
    public static TheoryData<string> Kinds => new() { "lstm_sequence", "gru_sequence", "scan" };

    private static Tensor Loss(string kind, Tensor x) => kind switch
    {
        "lstm_sequence" => Sum(Weights * LstmSequence(x, H0, C0, Wl, Ul, Bl, Bl).Output),
        "gru_sequence" => Sum(Weights * GruSequence(Affine(x, Wg), H0, Ug).Output),
        _ => Sum(Weights * x.Scan(H0, (h, xt) =>
        {
            var h1 = Tanh(Affine(xt, Ws) + Affine(h, Us));
            return (h1, h1);
        }).Ys),
    };

    // Rents arrays of every pool size up to 2^16 and fills them with NaN, so any array given back earlier is overwritten.
    private static void Poison()
    {
        for (int k = 0; k <= 16; k++)
        {
            var rented = Enumerable.Range(0, 16).Select(_ => ArrayPool<double>.Shared.Rent(1 << k)).ToList();
            foreach (var a in rented) Array.Fill(a, double.NaN);
            foreach (var a in rented) ArrayPool<double>.Shared.Return(a);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ValueAndGrad_gives_the_kept_arrays_back_and_a_kept_node_refills_them(string kind)
    {
        var x = R(20, T, B, D);
        Tensor? keptLoss = null, keptX = null;
        var grad = Ad.Grad((Tensor q) =>
        {
            (keptX, keptLoss) = (q, Loss(kind, q));
            return keptLoss;
        }, x);
        var node = Graph.Nodes(keptLoss!).Single(n => n.Op?.Name == kind);
        Assert.True(node.Op!.Kept!.Released);

        // Another call of the same shapes rents the same arrays and fills them with its own values; then NaN everywhere.
        Ad.Grad((Tensor q) => Loss(kind, q), R(21, T, B, D));
        Poison();

        var again = Ad.Gradients(keptLoss!, [keptX!])[0];
        Assert.Equal(grad.ToDoubleArray(), again.ToDoubleArray());
        Assert.False(node.Op.Kept.Released); // refilled by that sweep, which was not the graph's last
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_pullback_keeps_the_arrays_for_its_next_call(string kind)
    {
        var (y, pullback) = Ad.Vjp((Tensor q) => Loss(kind, q), R(22, T, B, D));
        var first = pullback(Tensor.OnesLike(y)).ToDoubleArray();
        var node = Graph.Nodes(y).Single(n => n.Op?.Name == kind);
        Assert.False(node.Op!.Kept!.Released);
        Assert.Equal(first, pullback(Tensor.OnesLike(y)).ToDoubleArray());
    }

    [Fact]
    public void A_release_during_a_reading_waits_for_it_and_a_later_reading_refills_once()
    {
        var kept = new Residuals(1);
        var a = kept.Rent<double>(0, 100);
        int refills = 0;
        void Refill()
        {
            refills++;
            kept.Rent<double>(0, 100);
        }

        using (kept.Read(Refill))
        {
            kept.Release();
            Assert.Same(a, kept.Get<double>(0));
            Assert.False(kept.Released);
        }
        Assert.True(kept.Released);
        Assert.Null(kept.Get<double>(0));

        using (kept.Read(Refill)) Assert.NotNull(kept.Get<double>(0));
        using (kept.Read(Refill)) Assert.NotNull(kept.Get<double>(0));
        Assert.Equal(1, refills);
    }
}
