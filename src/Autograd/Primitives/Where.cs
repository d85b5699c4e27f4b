namespace Autograd;

public static partial class Ops
{
    /// <summary>Elementwise choice: a where <paramref name="condition"/> is non-zero, else b; all three broadcast together.
    /// The condition is data, not differentiated. Derivative: g routed to the chosen side (zero to the other), summed back over broadcast axes.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Promote(ref a, ref b);
        var shape = Shape.Broadcast(Shape.Broadcast(a.Shape, b.Shape, "Where"), condition.Shape, "Where");
        var mask = Broadcasting.BroadcastTo(Kernels.Map<WhereOp.NonZero>(condition.Value.Cast(a.DType)), shape, "Where");
        var op = new WhereOp(mask);
        return op.Record(op.Select(Broadcasting.BroadcastTo(a.Value, shape), Broadcasting.BroadcastTo(b.Value, shape)), a, b);
    }
}

internal sealed class WhereOp(NDArray mask) : Primitive
{
    public override string Name => "where";

    internal struct NonZero : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = x[i] != T.Zero ? T.One : T.Zero;
        }
    }

    // A true select, not m·a + (1 − m)·b, so that an inf or NaN in the branch not taken cannot leak through.
    internal NDArray Select(NDArray a, NDArray b) => a.DType == DType.Float32 ? Select<float>(a, b) : Select<double>(a, b);

    private NDArray Select<T>(NDArray a, NDArray b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = NDArray.Empty<T>(a.Shape);
        T[] m = mask.Array<T>(), ad = a.Array<T>(), bd = b.Array<T>(), yd = y.Array<T>();
        for (int i = 0; i < yd.Length; i++) yd[i] = m[i] != T.Zero ? ad[i] : bd[i];
        return y;
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var zeros = NDArray.Zeros(gy.Shape, gy.DType);
        var ga = Select(gy, zeros);
        var gb = Select(zeros, gy);
        return [Broadcasting.SumToShape(ga, y.Input(0).Shape), Broadcasting.SumToShape(gb, y.Input(1).Shape)];
    }
}
