using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Autograd.Properties;

/// <summary>The GradCheck API and the generators as a user sees them.</summary>
public sealed class GradCheckTests
{
    private sealed record Layer(Tensor W, Tensor B);

    private sealed record Model(List<Layer> Layers, (Tensor Gain, Tensor Shift) Norm);

    private static Tensor Rand(int seed, params int[] shape) => Tensor.RandomUniform(Shape.Of(shape), seed, -1, 1, DType.Float64);

    [Fact]
    public void Float32_inputs_are_refused_unless_allowed()
    {
        var x = Tensor.RandomUniform(Shape.Of(2, 3), 1, -1, 1, DType.Float32);
        var e = Assert.Throws<InvalidOperationException>(() => GradCheck.Check(Tanh, x));
        Assert.Contains("float32", e.Message);
        Assert.Throws<InvalidOperationException>(() => GradCheck.Check((Layer l) => Sum(l.W * l.B), new Layer(Rand(1, 2), Tensor.Ones(Shape.Of(2)))));
        var report = GradCheck.Check(Tanh, x, GradCheckOptions.Float32);
        Assert.True(report.Passed, report.ToString());
        var wrong = Ad.CustomVjp("tanh_wrong", Tanh, (x, y, g) => g * (1.0 - y));
        Assert.False(GradCheck.Check(wrong, x, GradCheckOptions.Float32).Passed);
    }

    [Fact]
    public void Entries_are_named_by_their_path_in_the_parameter_tree()
    {
        var m = new Model([new Layer(Rand(1, 3, 2), Rand(2, 2)), new Layer(Rand(3, 2, 2), Rand(4, 2))], (Rand(5, 2), Rand(6, 2)));
        var x = Rand(7, 4, 3);
        var report = GradCheck.Check((Model p) =>
        {
            var h = x;
            foreach (var l in p.Layers) h = Tanh(MatMul(h, l.W) + l.B);
            return h * p.Norm.Gain + p.Norm.Shift;
        }, m);
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(["Layers[0].W", "Layers[0].B", "Layers[1].W", "Layers[1].B", "Norm.Item1", "Norm.Item2"], report.Entries.Select(e => e.Path));
        Assert.Equal(Shape.Of(4, 2), report.OutputShape);
        Assert.Equal(6, report["Layers[0].W"].Checks);
        Assert.Contains("Layers[1].B", report.ToString());
        Assert.Equal("(input)", GradCheck.Check(Exp, Rand(1, 2)).Entries.Single().Path);
    }

    [Fact]
    public void The_worst_element_is_reported_as_a_multi_index()
    {
        var x = Rand(1, 3, 4);
        var mark = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => i == 6 ? 1.0 : 0.0).ToArray(), 3, 4);
        var wrongAtOne = Ad.CustomVjp("identity_wrong_at_1_2", t => t * 1.0, (t, y, g) => g + mark);
        var report = GradCheck.Check(wrongAtOne, x, new GradCheckOptions { Mode = GradCheckMode.Elementwise });
        var e = report.Entries.Single();
        Assert.False(e.Passed);
        Assert.Equal("[1, 2]", e.WorstAt);
        Assert.Equal(1.0, e.MaxAbsError, 1e-6);
        Assert.Equal(e.WorstNumerical + 1, e.WorstAnalytic, 1e-6);
    }

    [Fact]
    public void Auto_mode_switches_to_random_directions_above_the_limit()
    {
        var p = (A: Rand(1, 15, 15), B: Rand(2, 15));
        Func<(Tensor A, Tensor B), Tensor> f = q => Tanh(MatMul(q.A, q.B));
        var large = GradCheck.Check(f, p);
        Assert.True(large.Passed, large.ToString());
        Assert.All(large.Entries, e => Assert.Equal(GradCheckMode.RandomDirection, e.Mode));
        Assert.Equal(["Item1", "Item2", "(all inputs)"], large.Entries.Select(e => e.Path));
        Assert.Equal(4, large.Entries[0].Checks);
        var forced = GradCheck.Check(f, p, new GradCheckOptions { ElementwiseLimit = 1000 });
        Assert.All(forced.Entries, e => Assert.Equal(GradCheckMode.Elementwise, e.Mode));
        Assert.Equal(225, forced.Entries[0].Checks);
    }

    [Fact]
    public void A_function_that_is_not_differentiable_at_the_point_is_caught()
    {
        // relu at exactly 0: the analytic derivative is 0, the central difference 1/2.
        var report = GradCheck.Check(Relu, Tensor.FromArray([0.0, 1.0], 2), new GradCheckOptions { Mode = GradCheckMode.Elementwise });
        Assert.False(report.Passed);
        Assert.Equal("[0]", report.Entries[0].WorstAt);
    }

    [Property(Arbitrary = [typeof(TensorArbitraries)], MaxTest = 20)]
    public bool A_user_property_over_generated_tensors(Tensor x) => GradCheck.Check((Tensor t) => Tanh(t) * t + Sigmoid(t), x).Passed;

    [Property(MaxTest = 50)]
    public Property Shapes_respect_their_bounds_and_shrink_to_smaller_shapes() => Prop.ForAll(Generators.ShapeArb(1, 3, 4), s =>
        s.Rank is >= 1 and <= 3 && s.ToArray().All(n => n is >= 1 and <= 4)
        && Generators.ShrinkShape(s, 1).All(t => t.Rank >= 1 && t.Size < s.Size || t.Rank < s.Rank));

    [Property(MaxTest = 50)]
    public Property Broadcast_pairs_broadcast_and_so_do_their_shrinks() => Prop.ForAll(Arb.From(Generators.BroadcastShapes()), p =>
    {
        var all = Generators.ShrinkBroadcastShapes(p).Prepend(p).ToList();
        foreach (var (a, b) in all) Shape.Broadcast(a, b, "test"); // throws if they do not
        return all.Skip(1).All(q => q.A.Size + q.B.Size < p.A.Size + p.B.Size || q.A.Rank + q.B.Rank < p.A.Rank + p.B.Rank);
    });

    [Property(MaxTest = 50)]
    public Property Tensors_and_their_shrinks_stay_in_the_domain() => Prop.ForAll(Generators.TensorArb(Domain.AwayFromZero), x =>
        Generators.ShrinkTensor(x, Domain.AwayFromZero).Prepend(x)
            .All(t => t.DType == DType.Float64 && t.ToDoubleArray().All(Domain.AwayFromZero.Contains)));

    [Property(MaxTest = 20)]
    public Property A_broadcasting_user_function_checked_with_the_pair_arbitrary() =>
        Prop.ForAll(Generators.BroadcastPairArb(Domain.Any, Domain.Positive), p =>
        {
            var report = GradCheck.Check(((Tensor A, Tensor B) q) => Log(q.B) * q.A - q.A / q.B, p);
            return report.Passed.Label(report.ToString());
        });
}
