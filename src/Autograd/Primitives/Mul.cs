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

internal sealed class MulOp : Primitive, IVjpInto
{
    public static readonly MulOp Instance = new();
    public override string Name => "mul";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => Vjp(y, gy, new NDArray?[2]);

    // PERF: a factor shared by many products (a weight in an unrolled loop) gets g·other added straight into the
    // sweep's running sum for it: one fused pass and no new array per use.
    public NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned)
    {
        NDArray a = y.InputArray[0].Value, b = y.InputArray[1].Value;
        return [Rule(gy, b, a.Shape, owned[0]), Rule(gy, a, b.Shape, owned[1])];
    }

    // g · other, summed back to the input's shape, or added into the owned sum when no broadcasting is involved.
    private static NDArray Rule(NDArray gy, NDArray other, Shape shape, NDArray? into)
    {
        if (into is null || into.DType != gy.DType || !other.Shape.Equals(gy.Shape) || !shape.Equals(gy.Shape))
            return Broadcasting.SumToShape(Arith.Mul(gy, other), shape);
        if (gy.DType == DType.Float32) TensorPrimitives.FusedMultiplyAdd(gy.Array<float>(), other.Array<float>(), into.Array<float>(), into.Array<float>());
        else TensorPrimitives.FusedMultiplyAdd(gy.Array<double>(), other.Array<double>(), into.Array<double>(), into.Array<double>());
        return into;
    }
}
