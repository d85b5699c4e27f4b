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

internal sealed class MulOp : Primitive
{
    public static readonly MulOp Instance = new();
    public override string Name => "mul";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        NDArray a = y.InputArray[0].Value, b = y.InputArray[1].Value;
        return [Broadcasting.SumToShape(Arith.Mul(gy, b), a.Shape), Broadcasting.SumToShape(Arith.Mul(gy, a), b.Shape)];
    }
}
