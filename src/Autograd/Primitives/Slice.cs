namespace Autograd;

public static partial class Ops
{
    /// <summary>x[start:stop:step] along <paramref name="axis"/> with Python's rules (negative indices count from the end,
    /// bounds are clipped; step ≥ 1; null stop means the end). Derivative: g placed back into zeros.</summary>
    public static Tensor Slice(Tensor x, int axis, int start, int? stop = null, int step = 1)
    {
        int a = x.Shape.Axis(axis, "Slice");
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"Slice: step must be >= 1, got {step} (axis {axis} of shape {x.Shape}).");
        int n = x.Shape[a];
        int s = Math.Clamp(start < 0 ? start + n : start, 0, n);
        int e = Math.Clamp(stop is { } st ? (st < 0 ? st + n : st) : n, 0, n);
        int count = e > s ? (e - s + step - 1) / step : 0;
        if (s == 0 && count == n && step == 1) return x;
        return new SliceOp(a, s, step).Record(Layout.Slice(x.Value, a, s, count, step), x);
    }
}

internal sealed class SliceOp(int axis, int start, int step) : Primitive, IAccumulatingVjp
{
    public override string Name => "slice";
    internal int Axis => axis;
    internal int Start => start;
    internal int Step => step;
    public override string Attributes => $"axis={axis}, start={start}, step={step}";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Layout.Unslice(gy, y.Input(0).Shape, axis, start, step)];

    // The sweep uses this instead of Vjp: a loop taking x[t] for every t then costs O(size of x), not O(T · size of x).
    public void AccumulateVjp(Tensor y, NDArray gy, NDArray into) => Layout.UnsliceAdd(gy, into, axis, start, step);
}
