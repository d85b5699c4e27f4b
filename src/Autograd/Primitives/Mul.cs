namespace Autograd;

public static partial class Ops
{
    /// <summary>a · b elementwise with NumPy broadcasting. Derivative: (g·b, g·a), summed back over broadcast axes.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        Promote(ref a, ref b);
        return MulOp.Instance.Record(Arith.Mul(a.Value, b.Value), a, b);
    }
}

internal sealed class MulOp : BufferedPrimitive
{
    public static readonly MulOp Instance = new();
    public override string Name => "mul";

    // PERF: a factor shared by many products (a weight in an unrolled loop) gets g·other added straight into the
    // sweep's running sum for it: one fused pass and no new array per use. When the sweep gives up gy, one input's
    // g·other is written over it (the other input's is computed first, while gy is still intact).
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned)
    {
        NDArray a = y.Input(0).Value, b = y.Input(1).Value;
        if (gyOwned && owned[0] is null && Elementwise(gy, b, a.Shape))
        {
            var gb = Rule(gy, a, b.Shape, owned[1]);
            return [Kernels.Zip<Arith.MulK>(gy, b, into: gy), gb];
        }
        if (gyOwned && owned[1] is null && Elementwise(gy, a, b.Shape))
        {
            var ga = Rule(gy, b, a.Shape, owned[0]);
            return [ga, Kernels.Zip<Arith.MulK>(gy, a, into: gy)];
        }
        return [Rule(gy, b, a.Shape, owned[0]), Rule(gy, a, b.Shape, owned[1])];
    }

    // g · other needs no broadcasting or summing back, and other has g's dtype.
    private static bool Elementwise(NDArray gy, NDArray other, Shape shape) =>
        other.DType == gy.DType && other.Shape.Equals(gy.Shape) && shape.Equals(gy.Shape);

    // g · other, summed back to the input's shape, or added into the owned sum when no broadcasting is involved.
    private static NDArray Rule(NDArray gy, NDArray other, Shape shape, NDArray? into)
    {
        if (into is null || !Elementwise(gy, other, shape) || into.DType != gy.DType)
            return Broadcasting.SumToShape(Arith.Mul(gy, other), shape);
        if (gy.DType == DType.Float32) TensorPrimitives.FusedMultiplyAdd(gy.Array<float>(), other.Array<float>(), into.Array<float>(), into.Array<float>());
        else TensorPrimitives.FusedMultiplyAdd(gy.Array<double>(), other.Array<double>(), into.Array<double>(), into.Array<double>());
        return into;
    }
}
