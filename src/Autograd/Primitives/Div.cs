namespace Autograd;

public static partial class Ops
{
    /// <summary>a / b elementwise with NumPy broadcasting. Derivative: (g / b, −g·(a/b) / b).</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        Promote(ref a, ref b);
        return DivOp.Instance.Record(Arith.Div(a.Value, b.Value), a, b);
    }
}

internal sealed class DivOp : Primitive
{
    public static readonly DivOp Instance = new();
    public override string Name => "div";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        NDArray a = y.Input(0).Value, b = y.Input(1).Value;
        var ga = Arith.Div(gy, b);
        return [Broadcasting.SumToShape(ga, a.Shape), Broadcasting.SumToShape(Arith.Neg(Arith.Mul(ga, y.Value)), b.Shape)];
    }
}
