namespace Autograd;

public static partial class Ops
{
    /// <summary>|x| elementwise. Derivative: g·sign(x), with sign(0) = 0 as in PyTorch.</summary>
    public static Tensor Abs(Tensor x) => AbsOp.Instance.Record(Kernels.Map<AbsOp.Fwd>(x.Value), x);
}

internal sealed class AbsOp : Primitive
{
    public static readonly AbsOp Instance = new();
    public override string Name => "abs";

    internal struct Fwd : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, y);
    }

    private struct Bwd : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = x[i] > T.Zero ? gy[i] : x[i] < T.Zero ? -gy[i] : T.Zero;
        }
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Kernels.Zip<Bwd>(y.Input(0).Value, gy)];
}
