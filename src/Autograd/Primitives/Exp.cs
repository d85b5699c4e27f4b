namespace Autograd;

public static partial class Ops
{
    /// <summary>eˣ elementwise. Derivative: g·eˣ (the output itself).</summary>
    public static Tensor Exp(Tensor x) => ExpOp.Instance.Record(Arith.Exp(x.Value), x);
}

internal sealed class ExpOp : BufferedPrimitive
{
    public static readonly ExpOp Instance = new();
    public override string Name => "exp";

    // PERF: written over gy when the sweep gives it up.
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned) => [Kernels.Zip<Arith.MulK>(gy, y.Value, gyOwned ? gy : null)];
}
