namespace Autograd;

public static partial class Ops
{
    /// <summary>eˣ elementwise. Derivative: g·eˣ (the output itself).</summary>
    public static Tensor Exp(Tensor x) => ExpOp.Instance.Record(Arith.Exp(x.Value), x);
}

internal sealed class ExpOp : Primitive
{
    public static readonly ExpOp Instance = new();
    public override string Name => "exp";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Arith.Mul(gy, y.Value)];
}
