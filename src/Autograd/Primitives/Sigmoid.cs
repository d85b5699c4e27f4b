using System.Runtime.InteropServices;

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
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                // PERF: SIMD lanes, the same operations in the same order as the scalar tail (bit-identical results).
                ref T ry = ref MemoryMarshal.GetReference(y), rg = ref MemoryMarshal.GetReference(gy), rx = ref MemoryMarshal.GetReference(gx);
                for (; i <= gx.Length - Vector<T>.Count; i += Vector<T>.Count)
                {
                    var v = Vector.LoadUnsafe(ref ry, (nuint)i);
                    Vector.StoreUnsafe(Vector.LoadUnsafe(ref rg, (nuint)i) * v * (Vector<T>.One - v), ref rx, (nuint)i);
                }
            }
            for (; i < gx.Length; i++) gx[i] = gy[i] * y[i] * (T.One - y[i]);
        }
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Kernels.Zip<Bwd>(y.Value, gy)];
}
