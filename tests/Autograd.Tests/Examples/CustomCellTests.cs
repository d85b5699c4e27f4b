using Autograd.Examples.CustomCell;
using Autograd.Testing;

namespace Autograd.Tests.Examples;

/// <summary>The user-written cell of examples/CustomCell: it trains, and its gradients pass the public checker.</summary>
public class CustomCellTests
{
    [Fact]
    public void Training_lowers_the_loss()
    {
        var log = new StringWriter();
        var result = Program.Run(new Options(Steps: 60, Length: 5, Hidden: 8, Batch: 16, LogEvery: 20), log);
        Assert.All(result.Losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(result.LastLoss < 0.5 * result.FirstLoss, $"loss {result.FirstLoss} -> {result.LastLoss}");
        Assert.Contains("step    60", log.ToString());
    }

    [Fact]
    public void Gradients_pass_the_public_gradient_checker()
    {
        var rng = new Random(3);
        var (xs, ys) = Program.AddingProblem(length: 4, batch: 3, rng);
        xs = xs.To(DType.Float64);
        ys = ys.To(DType.Float64);
        var model = Model.Create(inputSize: 2, hiddenSize: 3, rng, DType.Float64);
        #region readme-customcell-check
        var report = GradCheck.Check((Model m) => Model.Loss(m, xs, ys), model);   // every parameter of the record
        Assert.True(report.Passed, report.ToString());
        #endregion
        Assert.Equal(8, report.Entries.Count());          // Wz Uz Bz Wn Un Bn, Readout.Weight, Readout.Bias
    }

    [Fact]
    public void Negative_control_a_wrong_hand_derivative_inside_the_cell_is_caught()
    {
        var rng = new Random(4);
        var (xs, ys) = Program.AddingProblem(length: 3, batch: 2, rng);
        xs = xs.To(DType.Float64);
        ys = ys.To(DType.Float64);
        var model = Model.Create(2, 3, rng, DType.Float64);
        // A tanh whose hand-written derivative forgets the square: 1 − y instead of 1 − y².
        var badTanh = Ad.CustomVjp("bad_tanh", t => Ops.Tanh(t), (t, y, g) => g * (1.0 - y));
        Tensor Loss(Model m)
        {
            var h0 = Tensor.Zeros(Shape.Of(xs.Shape[1], m.HiddenSize), DType.Float64);
            var final = xs.Scan(h0, (h, x) => { var (c, _) = m.Cell.Step(h, x); var b = badTanh(c); return (b, b); }).Final;
            return Ops.Mse(m.Readout.Apply(final), ys);
        }
        Assert.False(GradCheck.Check(Loss, model).Passed);
    }
}
