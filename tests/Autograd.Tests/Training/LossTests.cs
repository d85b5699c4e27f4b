using Autograd;
using Autograd.Nn;

namespace Autograd.Tests.Training;

public class LossTests
{
    // logits [T=2, B=2, V=3]
    private static readonly double[] L = [1, 2, 3, 0, 0, 0, -1, 0, 1, 2, 0, 0];
    private static readonly Tensor Logits = Tensor.FromArray(L, 2, 2, 3);

    private static double Nll(int row, int target)
    {
        var r = L.Skip(row * 3).Take(3).ToArray();
        return Math.Log(r.Sum(Math.Exp)) - r[target];
    }

    [Fact]
    public void Mean_over_all_positions_by_hand()
    {
        var loss = Losses.TimeCrossEntropy(Logits, [2, 1, 0, 0]).Item();
        Assert.Equal((Nll(0, 2) + Nll(1, 1) + Nll(2, 0) + Nll(3, 0)) / 4, loss, 12);
    }

    // Large enough (2,000 rows × 70 classes) for the rule to split its rows over two cores: every row's loss and gradient
    // against log-softmax by hand in double, with ignored rows in both halves.
    [Fact]
    public void Cross_entropy_of_many_rows_matches_log_softmax_by_hand()
    {
        const int n = 2000, c = 70;
        var rng = new Random(7);
        var logits = Enumerable.Range(0, n * c).Select(_ => rng.NextDouble() * 8 - 4).ToArray();
        var targets = Enumerable.Range(0, n).Select(i => i % 97 == 3 ? -1 : rng.Next(c)).ToArray();
        int counted = targets.Count(t => t >= 0);
        var x = Tensor.FromArray(logits, n, c);
        var (loss, g) = Ad.ValueAndGrad((Tensor z) => Ops.CrossEntropy(z, targets, ignoreIndex: -1), x);
        var gd = g.ToDoubleArray();
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            var row = logits.AsSpan(i * c, c).ToArray();
            double m = row.Max(), lse = m + Math.Log(row.Sum(v => Math.Exp(v - m)));
            if (targets[i] >= 0) expected += lse - row[targets[i]];
            for (int j = 0; j < c; j++)
            {
                double want = targets[i] < 0 ? 0 : (Math.Exp(row[j] - lse) - (j == targets[i] ? 1 : 0)) / counted;
                Assert.True(Math.Abs(gd[i * c + j] - want) < 1e-15, $"gradient at ({i}, {j}): {gd[i * c + j]} vs {want}");
            }
        }
        Assert.Equal(expected / counted, loss.Item(), 12);
    }

    [Fact]
    public void Ignored_positions_leave_the_mean_and_get_no_gradient()
    {
        var loss = Losses.TimeCrossEntropy(Logits, [2, -1, 0, -1]).Item();
        Assert.Equal((Nll(0, 2) + Nll(2, 0)) / 2, loss, 12);
        var g = Ad.Grad((Tensor x) => Losses.TimeCrossEntropy(x, [2, -1, 0, -1]), Logits).ToDoubleArray();
        Assert.Equal(new double[] { 0, 0, 0 }, g[3..6]);
        Assert.Equal(new double[] { 0, 0, 0 }, g[9..12]);
        Assert.Equal(0, g[0..3].Sum(), 12);
        Assert.True(g[2] < 0);
    }

    [Fact]
    public void A_mask_is_the_same_as_ignore_labels()
    {
        var masked = Losses.TimeCrossEntropy(Logits, [2, 1, 0, 0], [true, false, true, false]).Item();
        Assert.Equal((Nll(0, 2) + Nll(2, 0)) / 2, masked, 12);
    }

    [Fact]
    public void Wrong_shapes_are_named()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Losses.TimeCrossEntropy(Logits, [1, 2, 3]));
        Assert.Contains("3 targets", ex.Message);
        Assert.Throws<ShapeMismatchException>(() => Losses.TimeCrossEntropy(Tensor.Zeros(Shape.Of(4, 3)), [0, 0, 0, 0]));
    }

    [Fact]
    public void Perplexity_is_exp_of_mean_nats()
    {
        Assert.Equal(65.0, Losses.Perplexity(Math.Log(65)), 10);
        // A uniform model over V symbols has perplexity V.
        var uniform = Losses.TimeCrossEntropy(Tensor.Zeros(Shape.Of(3, 2, 5), DType.Float64), [0, 1, 2, 3, 4, 0]);
        Assert.Equal(5.0, Losses.Perplexity(uniform), 10);
    }
}
