namespace Autograd;

public static partial class Ops
{
    /// <summary>−x. Derivative: −g.</summary>
    public static Tensor Neg(Tensor x) => NegOp.Instance.Record(Arith.Neg(x.Value), x);
}

internal sealed class NegOp : Primitive
{
    public static readonly NegOp Instance = new();
    public override string Name => "neg";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Arith.Neg(gy)];
}
