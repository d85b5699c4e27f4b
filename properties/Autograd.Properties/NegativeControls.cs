using FsCheck;
using FsCheck.Fluent;

namespace Autograd.Properties;

/// <summary>The checker can fail: wrong rules and a coarse step are caught, while the correct versions pass.</summary>
public sealed class NegativeControls
{
    private static readonly Func<Tensor, Tensor> GoodTanh = Ad.CustomVjp("tanh_good", Tanh, (x, y, g) => g * (1.0 - y * y));
    private static readonly Func<Tensor, Tensor> TanhMissingSquare = Ad.CustomVjp("tanh_1_minus_y", Tanh, (x, y, g) => g * (1.0 - y));
    private static readonly Func<Tensor, Tensor> TanhSignFlip = Ad.CustomVjp("tanh_sign_flip", Tanh, (x, y, g) => -(g * (1.0 - y * y)));

    private static Tensor Input(int rows = 3, int cols = 4, int seed = 7) => Tensor.RandomUniform(Shape.Of(rows, cols), seed, -2, 2, DType.Float64);

    public static TheoryData<GradCheckMode> Modes => [GradCheckMode.Elementwise, GradCheckMode.RandomDirection];

    [Theory]
    [MemberData(nameof(Modes))]
    public void Wrong_tanh_rules_fail_and_the_correct_rule_passes(GradCheckMode mode)
    {
        var options = new GradCheckOptions { Mode = mode };
        var x = Input();
        Assert.True(GradCheck.Check(GoodTanh, x, options).Passed);
        foreach (var wrong in new[] { TanhMissingSquare, TanhSignFlip })
        {
            var report = GradCheck.Check(wrong, x, options);
            Assert.False(report.Passed, report.ToString());
            Assert.Equal(mode, report.Entries[0].Mode);
            Assert.False(report["(input)"].Passed);
            Assert.True(report.Entries[0].MaxAbsError > 1e-3, report.ToString());
            var e = Assert.Throws<GradCheckException>(() => GradCheck.Assert(wrong, x, options));
            Assert.Contains("FAIL", e.Message);
        }
    }

    [Fact]
    public void A_wrong_rule_for_one_of_several_parameters_is_blamed_on_that_parameter()
    {
        var p = new Pair(Input(2, 3, 1), Input(2, 3, 2));
        foreach (var mode in new[] { GradCheckMode.Elementwise, GradCheckMode.RandomDirection })
        {
            var report = GradCheck.Check((Pair q) => Sum(Tanh(q.A) * TanhSignFlip(q.B)), p, new GradCheckOptions { Mode = mode });
            Assert.True(report["A"].Passed, report.ToString());
            Assert.False(report["B"].Passed, report.ToString());
            Assert.False(report.Passed);
        }
    }

    [Fact]
    public void A_coarse_step_with_tight_tolerance_fails_where_the_default_step_passes()
    {
        var x = Input();
        var coarse = new GradCheckOptions { Eps = 0.5, AbsoluteTolerance = 1e-8, RelativeTolerance = 1e-6 };
        Func<Tensor, Tensor> cubic = t => Pow(t, 3);
        foreach (var f in new[] { Exp, cubic })
        {
            Assert.False(GradCheck.Check(f, x, coarse).Passed);
            Assert.True(GradCheck.Check(f, x).Passed);
        }
        // Central differences of x³ overshoot by exactly ε²: the reported error shows it.
        var report = GradCheck.Check(cubic, Tensor.FromArray([1.0], 1), coarse with { Mode = GradCheckMode.Elementwise, Seed = 3 });
        var e = report.Entries[0];
        Assert.Equal(0.25 * Math.Abs(e.WorstAnalytic / 3), e.MaxAbsError, 1e-9);
    }

    [Fact]
    public void An_FsCheck_property_over_a_wrong_rule_fails_and_reports_its_seed()
    {
        var property = Prop.ForAll(Generators.TensorArb(Domain.Any, minRank: 1), x =>
        {
            var report = GradCheck.Check(TanhMissingSquare, x);
            return report.Passed.Label(report.ToString());
        });
        var e = Assert.ThrowsAny<Exception>(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(20), property));
        Assert.Contains("Falsifiable", e.Message);
        Assert.Matches(@"\(\d+,\s*\d+\)", e.Message); // the replay seed
        Assert.Contains("GradCheck FAILED", e.Message);
    }

    private sealed record Pair(Tensor A, Tensor B);
}
