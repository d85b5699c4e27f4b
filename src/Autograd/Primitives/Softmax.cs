namespace Autograd;

public static partial class Ops
{
    /// <summary>exp(x − m) / Σ exp(x − m) along <paramref name="axis"/>, m the lane maximum (stable for large |x|).
    /// Derivative: y·(g − Σ g·y).</summary>
    public static Tensor Softmax(Tensor x, int axis = -1)
    {
        int a = x.Shape.Axis(axis, "Softmax");
        return new SoftmaxOp(a).Record(Arith.Exp(Arith.Sub(x.Value, Stable.LogSumExp(x.Value, a))), x);
    }
}

internal sealed class SoftmaxOp(int axis) : Primitive
{
    public override string Name => "softmax";
    public override string Attributes => $"axis={axis}";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var s = y.Value;
        var dot = Reduce.Sum(Arith.Mul(gy, s), [axis], keepDim: true);
        return [Arith.Mul(s, Arith.Sub(gy, dot))];
    }
}
