namespace Autograd;

public static partial class Ops
{
    /// <summary>a − b with NumPy broadcasting. Derivative: (g, −g), summed back over broadcast axes.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        Promote(ref a, ref b);
        return SubOp.Instance.Record(Arith.Sub(a.Value, b.Value), a, b);
    }
}

internal sealed class SubOp : Primitive
{
    public static readonly SubOp Instance = new();
    public override string Name => "sub";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) =>
        [Broadcasting.SumToShape(gy, y.Input(0).Shape), Broadcasting.SumToShape(Arith.Neg(gy), y.Input(1).Shape)];
}
