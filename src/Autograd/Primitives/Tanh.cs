namespace Autograd;

public static partial class Ops
{
    /// <summary>tanh x elementwise. Derivative: g·(1 − tanh² x).</summary>
    public static Tensor Tanh(Tensor x) => TanhOp.Instance.Record(Kernels.Map<TanhOp.Fwd>(x.Value), x);
}

internal sealed class TanhOp : Primitive
{
    public static readonly TanhOp Instance = new();
    public override string Name => "tanh";

    internal struct Fwd : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Tanh(x, y);
    }

    private struct Bwd : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = gy[i] * (T.One - y[i] * y[i]);
        }
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Kernels.Zip<Bwd>(y.Value, gy)];
}
