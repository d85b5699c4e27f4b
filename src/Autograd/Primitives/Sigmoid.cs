namespace Autograd;

public static partial class Ops
{
    /// <summary>σ(x) = 1 / (1 + e⁻ˣ) elementwise. Derivative: g·σ(x)(1 − σ(x)).</summary>
    public static Tensor Sigmoid(Tensor x) => SigmoidOp.Instance.Record(Kernels.Map<SigmoidOp.Fwd>(x.Value), x);
}

internal sealed class SigmoidOp : Primitive
{
    public static readonly SigmoidOp Instance = new();
    public override string Name => "sigmoid";

    internal struct Fwd : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sigmoid(x, y);
    }

    private struct Bwd : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = gy[i] * y[i] * (T.One - y[i]);
        }
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Kernels.Zip<Bwd>(y.Value, gy)];
}
