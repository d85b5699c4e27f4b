namespace Autograd;

public static partial class Ops
{
    /// <summary>The maximum along one axis. Derivative: g routed to the first maximal element of each lane
    /// (like the indices of <c>torch.max(x, dim)</c>); NaN propagates.</summary>
    public static Tensor Max(Tensor x, int axis, bool keepDim = false)
    {
        int a = x.Shape.Axis(axis, "Max");
        var (m, arg) = Reduce.Max(x.Value, a);
        return new MaxOp(a, arg).Record(keepDim ? m : m.Reshape(x.Shape.RemoveAxis(a)), x);
    }

    /// <summary>The maximum over several axes (null: all), one axis after another.</summary>
    public static Tensor Max(Tensor x, int[]? axes, bool keepDim = false)
    {
        var ax = ResolveAxes(x.Shape, axes, "Max");
        var y = x;
        foreach (var a in ax.OrderByDescending(a => a)) y = Max(y, a, keepDim);
        return y;
    }
}

internal sealed class MaxOp(int axis, int[] argMax) : Primitive
{
    public override string Name => "max";
    public override string Attributes => $"axis={axis}";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var xShape = y.Input(0).Shape;
        var (outer, n, inner) = Reduce.Lanes(xShape, axis);
        var gx = NDArray.Zeros(xShape, gy.DType);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                Array.Copy(gy.Data, o * inner + i, gx.Data, (o * n + argMax[o * inner + i]) * inner + i, 1);
        return [gx];
    }
}
