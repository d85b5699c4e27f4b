namespace Autograd;

public static partial class Ops
{
    /// <summary>log Σ exp(x) along <paramref name="axis"/>, computed as m + log Σ exp(x − m) with m the lane maximum so
    /// that it is stable for large |x|. A primitive (not a composite) for that stability. Derivative: g·softmax(x).</summary>
    public static Tensor LogSumExp(Tensor x, int axis, bool keepDim = false)
    {
        int a = x.Shape.Axis(axis, "LogSumExp");
        var lse = Stable.LogSumExp(x.Value, a);
        return new LogSumExpOp(a).Record(keepDim ? lse : lse.Reshape(x.Shape.RemoveAxis(a)), x);
    }
}

internal sealed class LogSumExpOp(int axis) : Primitive
{
    public override string Name => "logsumexp";
    public override string Attributes => $"axis={axis}";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var x = y.Input(0).Value;
        var kept = x.Shape.WithAxis(axis, 1);
        var softmax = Arith.Exp(Arith.Sub(x, y.Value.Reshape(kept)));
        return [Arith.Mul(softmax, gy.Reshape(kept))];
    }
}

/// <summary>Max-shifted helpers shared by the softmax family.</summary>
internal static class Stable
{
    /// <summary>log Σ exp(x) along an axis, kept as size 1: m + log Σ exp(x − m). A lane of −∞ gives −∞.</summary>
    public static NDArray LogSumExp(NDArray x, int axis)
    {
        var (m, _) = Reduce.Max(x, axis);
        // An all −∞ (or +∞) lane would make x − m NaN; shifting by 0 there gives the right limit.
        var shift = Kernels.Map<FiniteOrZero>(m);
        var s = Reduce.Sum(Arith.Exp(Arith.Sub(x, shift)), [axis], keepDim: true);
        return Arith.Add(Arith.Log(s), shift);
    }

    private struct FiniteOrZero : IUnaryKernel
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.IsFinite(x[i]) ? x[i] : T.Zero;
        }
    }
}
