using System.Runtime.InteropServices;

namespace Autograd;

public static partial class Ops
{
    /// <summary>tanh x elementwise. Derivative: g·(1 − tanh² x).</summary>
    public static Tensor Tanh(Tensor x) => TanhOp.Instance.Record(Kernels.Map<TanhOp.Fwd>(x.Value), x);
}

internal sealed class TanhOp : BufferedPrimitive
{
    public static readonly TanhOp Instance = new();
    public override string Name => "tanh";

    internal struct Fwd : IUnaryKernel
    {
        // PERF: float through Activation.PreciseTanh (0.8 ns per value on the AVX2 EPYC, against 1.9 for
        // TensorPrimitives.Tanh; about 1e-7 relative error); double through TensorPrimitives.
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (typeof(T) == typeof(float)) Activation.PreciseTanh(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
            else TensorPrimitives.Tanh(x, y);
        }
    }

    // gx = gy · (1 − y²)
    internal struct Bwd : ILaneFormula
    {
        public static T Apply<T>(T y, T g) where T : unmanaged, IFloatingPointIeee754<T> => g * (T.One - y * y);

        public static Vector<T> Apply<T>(Vector<T> y, Vector<T> g) where T : unmanaged, IFloatingPointIeee754<T> => g * (Vector<T>.One - y * y);
    }

    // PERF: written over gy when the sweep gives it up, as it does along a chain of elementwise ops.
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned) => [Kernels.Zip<Lanes<Bwd>>(y.Value, gy, gyOwned ? gy : null)];
}
