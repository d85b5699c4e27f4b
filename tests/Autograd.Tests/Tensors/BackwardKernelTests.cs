using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Tensors;

/// <summary>The SIMD backward kernels of tanh and sigmoid equal their scalar formulas bit for bit, for lengths that
/// cover whole vectors, tails and both.</summary>
public class BackwardKernelTests
{
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Tanh_and_sigmoid_rules_equal_the_scalar_formulas_exactly(DType dtype)
    {
        var rng = new Random(5);
        for (int n = 1; n <= 41; n++)
        {
            var x = Tensor.RandomNormal(Shape.Of(n), rng, dtype: dtype);
            var g = Tensor.RandomNormal(Shape.Of(n), rng, dtype: dtype);
            var t = Tanh(x);
            var s = Sigmoid(x);
            var gt = t.Op!.Vjp(t, g.Value)[0]!;
            var gs = s.Op!.Vjp(s, g.Value)[0]!;
            for (int i = 0; i < n; i++)
            {
                if (dtype == DType.Float32)
                {
                    float yt = (float)t.Value.GetFlat(i), ys = (float)s.Value.GetFlat(i), gi = (float)g.Value.GetFlat(i);
                    Assert.Equal(gi * (1 - yt * yt), (float)gt.GetFlat(i));
                    Assert.Equal(gi * ys * (1 - ys), (float)gs.GetFlat(i));
                }
                else
                {
                    double yt = t.Value.GetFlat(i), ys = s.Value.GetFlat(i), gi = g.Value.GetFlat(i);
                    Assert.Equal(gi * (1 - yt * yt), gt.GetFlat(i));
                    Assert.Equal(gi * ys * (1 - ys), gs.GetFlat(i));
                }
            }
        }
    }
}
