// The README's tour, as a program: every block between "#region readme-..." markers is quoted verbatim in
// README.md, and tests/Autograd.Tests checks that the two agree and that this program runs.
using Autograd;
using Autograd.Testing;
using static Autograd.Ops;

namespace Autograd.Examples.Tour;

public sealed record Layer(Tensor W, Tensor B);

public static class Program
{
    public static int Main()
    {
        #region readme-tensors
        var x = Tensor.From(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });   // float64, shape [2, 3]
        var w = Tensor.RandomNormal(Shape.Of(3, 2), seed: 0, dtype: DType.Float64);
        var y = Tanh(MatMul(x, w) + 1.0);                                   // broadcasting, operators
        Console.WriteLine(y);
        #endregion

        #region readme-grad
        var layer = new Layer(w, Tensor.Zeros(Shape.Of(2), DType.Float64));
        Tensor Loss(Layer p) => Mean(Square(Tanh(MatMul(x, p.W) + p.B)));

        var (loss, grads) = Ad.ValueAndGrad(Loss, layer);                 // grads is a Layer too
        var updated = layer with { W = layer.W - 0.1 * grads.W, B = layer.B - 0.1 * grads.B };
        Console.WriteLine($"loss {loss.Item():F4} -> {Loss(updated).Item():F4}");
        #endregion

        #region readme-custom
        // softplus(x) = log(1 + eˣ), with its derivative σ(x) written by hand
        var softplus = Ad.CustomVjp("softplus",
            forward: t => Log(1.0 + Exp(t)),
            vjp: (t, _, g) => g * Sigmoid(t));
        var dx = Ad.Grad((Tensor t) => Sum(softplus(t)), x);
        #endregion
        Console.WriteLine(dx);

        #region readme-gradcheck
        var report = GradCheck.Check(Loss, layer);                          // central differences vs the VJP, float64
        Console.WriteLine(report);                                          // per parameter: max abs/rel error, worst index
        GradCheck.Assert((Tensor t) => Sum(softplus(t)), x);                // throws GradCheckException on a mismatch
        #endregion

        #region readme-graph
        Console.Write(Graph.Describe(Loss(layer)));                         // the recorded graph, one node a line
        #endregion
        return report.Passed && double.IsFinite(loss.Item()) && Loss(updated).Item() < loss.Item() ? 0 : 1;
    }
}
