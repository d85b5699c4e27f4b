namespace Autograd;

public static partial class Ops
{
    /// <summary>√x elementwise (NaN for x &lt; 0 unless <see cref="Checked"/> is on, then an exception). Derivative: g / (2√x).</summary>
    public static Tensor Sqrt(Tensor x)
    {
        Checked.RequireDomain(x.Value, "Sqrt", v => v >= 0, "x >= 0");
        return SqrtOp.Instance.Record(Kernels.Map<SqrtOp.Fwd>(x.Value), x);
    }
}

internal sealed class SqrtOp : Primitive
{
    public static readonly SqrtOp Instance = new();
    public override string Name => "sqrt";

    internal struct Fwd : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, y);
    }

    // gx = gy / (2 y)
    private struct Bwd : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T two = T.One + T.One;
            for (int i = 0; i < gx.Length; i++) gx[i] = gy[i] / (two * y[i]);
        }
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Kernels.Zip<Bwd>(y.Value, gy)];
}
