namespace Autograd;

public static partial class Ops
{
    /// <summary>a + b with NumPy broadcasting. Derivative: the cotangent, summed back over broadcast axes, to each side.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        Promote(ref a, ref b);
        return AddOp.Instance.Record(Arith.Add(a.Value, b.Value), a, b);
    }
}

internal sealed class AddOp : Primitive
{
    public static readonly AddOp Instance = new();
    public override string Name => "add";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) =>
        [Broadcasting.SumToShape(gy, y.InputArray[0].Shape), Broadcasting.SumToShape(gy, y.InputArray[1].Shape)];
}
