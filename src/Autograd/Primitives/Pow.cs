namespace Autograd;

public static partial class Ops
{
    /// <summary>xᵖ elementwise for a constant exponent p. Derivative: g·p·xᵖ⁻¹.</summary>
    public static Tensor Pow(Tensor x, double exponent) => new PowOp(exponent).Record(Kernels.Map<PowOp.Fwd>(x.Value, exponent), x);
}

internal sealed class PowOp(double exponent) : Primitive
{
    public override string Name => "pow";
    public override string Attributes => $"p={exponent}";

    internal struct Fwd : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T tp = T.CreateChecked(p);
            if (p == 2) TensorPrimitives.Multiply(x, x, y);
            else for (int i = 0; i < y.Length; i++) y[i] = T.Pow(x[i], tp);
        }
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var x = y.Input(0).Value;
        var dydx = exponent == 2 ? Arith.Scale(x, 2) : Arith.Scale(Kernels.Map<Fwd>(x, exponent - 1), exponent);
        return [Arith.Mul(gy, dydx)];
    }
}
