namespace Autograd;

public static partial class Ops
{
    /// <summary>σ(x) = 1 / (1 + e⁻ˣ) elementwise. Derivative: g·σ(x)(1 − σ(x)).</summary>
    public static Tensor Sigmoid(Tensor x) => SigmoidOp.Instance.Record(Kernels.Map<SigmoidOp.Fwd>(x.Value), x);
}

internal sealed class SigmoidOp : BufferedPrimitive
{
    public static readonly SigmoidOp Instance = new();
    public override string Name => "sigmoid";

    internal struct Fwd : IUnaryKernel
    {
        // PERF: float through Activation's σ = 1 / (1 + e⁻ˣ) (0.69 ns per value on the AVX2 EPYC, against 1.34 for
        // TensorPrimitives.Sigmoid; ~2 ulps; below x = −87.3 it stays at e⁻⁸⁸ instead of going on down through the
        // subnormals); double through TensorPrimitives.
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (typeof(T) == typeof(float)) Activation.Sigmoid(x, y);
            else TensorPrimitives.Sigmoid(x, y);
        }
    }

    // gx = gy · y · (1 − y)
    internal struct Bwd : ILaneFormula
    {
        public static T Apply<T>(T y, T g) where T : unmanaged, IFloatingPointIeee754<T> => g * y * (T.One - y);

        public static Vector<T> Apply<T>(Vector<T> y, Vector<T> g) where T : unmanaged, IFloatingPointIeee754<T> => g * y * (Vector<T>.One - y);
    }

    // PERF: written over gy when the sweep gives it up, as it does along a chain of elementwise ops.
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned) => [Kernels.Zip<Lanes<Bwd>>(y.Value, gy, gyOwned ? gy : null)];
}
