namespace Autograd;

public static partial class Ops
{
    /// <summary>x − logsumexp(x) along <paramref name="axis"/> (stable for large |x|; a primitive for that reason).
    /// Derivative: g − softmax(x)·Σ g.</summary>
    public static Tensor LogSoftmax(Tensor x, int axis = -1)
    {
        int a = x.Shape.Axis(axis, "LogSoftmax");
        return new LogSoftmaxOp(a).Record(Arith.Sub(x.Value, Stable.LogSumExp(x.Value, a)), x);
    }
}

internal sealed class LogSoftmaxOp(int axis) : Primitive
{
    public override string Name => "log_softmax";
    public override string Attributes => $"axis={axis}";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var sum = Reduce.Sum(gy, [axis], keepDim: true);
        return [Arith.Sub(gy, Arith.Mul(Arith.Exp(y.Value), sum))];
    }
}
