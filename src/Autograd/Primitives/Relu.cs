namespace Autograd;

public static partial class Ops
{
    /// <summary>max(x, 0) elementwise. Derivative: g where x &gt; 0, else 0 (so 0 at x = 0, as in PyTorch).</summary>
    public static Tensor Relu(Tensor x) => ReluOp.Instance.Record(Kernels.Map<ReluOp.Fwd>(x.Value), x);
}

internal sealed class ReluOp : BufferedPrimitive
{
    public static readonly ReluOp Instance = new();
    public override string Name => "relu";

    internal struct Fwd : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = x[i] > T.Zero || T.IsNaN(x[i]) ? x[i] : T.Zero;
        }
    }

    internal struct Bwd : IBinaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gy, Span<T> gx) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = x[i] > T.Zero ? gy[i] : T.Zero;
        }
    }

    // PERF: written over gy when the sweep gives it up (a ReLU RNN's chain of steps).
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned) => [Kernels.Zip<Bwd>(y.Input(0).Value, gy, gyOwned ? gy : null)];
}
