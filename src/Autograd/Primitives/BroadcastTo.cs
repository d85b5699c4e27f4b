namespace Autograd;

public static partial class Ops
{
    /// <summary>x repeated along broadcast axes to <paramref name="shape"/> (NumPy rules). Derivative: g summed back to x's shape.</summary>
    public static Tensor BroadcastTo(Tensor x, Shape shape) =>
        x.Shape.Equals(shape) ? x : BroadcastToOp.Instance.Record(Broadcasting.BroadcastTo(x.Value, shape), x);
}

internal sealed class BroadcastToOp : Primitive
{
    public static readonly BroadcastToOp Instance = new();
    public override string Name => "broadcast_to";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Broadcasting.SumToShape(gy, y.Input(0).Shape)];
}
