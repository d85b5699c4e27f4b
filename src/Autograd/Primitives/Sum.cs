namespace Autograd;

public static partial class Ops
{
    /// <summary>The sum over <paramref name="axes"/> (null: all axes, giving a scalar unless <paramref name="keepDim"/>).
    /// Derivative: g broadcast back over the summed axes.</summary>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDim = false)
    {
        var ax = ResolveAxes(x.Shape, axes, "Sum");
        return new SumOp(ax, keepDim).Record(Reduce.Sum(x.Value, ax, keepDim), x);
    }

    /// <summary>The sum over one axis. Derivative: g broadcast back along it.</summary>
    public static Tensor Sum(Tensor x, int axis, bool keepDim = false) => Sum(x, [axis], keepDim);

    internal static int[] ResolveAxes(Shape shape, int[]? axes, string op)
    {
        if (axes is null) return Enumerable.Range(0, shape.Rank).ToArray();
        var r = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++) r[i] = shape.Axis(axes[i], op);
        if (r.Distinct().Count() != r.Length) throw new ArgumentException($"{op}: axes [{string.Join(", ", axes)}] repeat an axis.");
        return r;
    }
}

internal sealed class SumOp(int[] axes, bool keepDim) : Primitive
{
    public override string Name => "sum";
    public override string Attributes => $"axes=[{string.Join(",", axes)}]{(keepDim ? ", keepdim" : "")}";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var xShape = y.Input(0).Shape;
        // Without keepdim the summed axes are gone; put them back as size-1 axes, then broadcast.
        var kept = xShape;
        foreach (var a in axes) kept = kept.WithAxis(a, 1);
        return [Broadcasting.BroadcastTo(gy.Reshape(kept), xShape)];
    }
}
