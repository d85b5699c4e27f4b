namespace Autograd;

public static partial class Ops
{
    /// <summary>min(max(x, lo), hi) elementwise; a null bound is absent. Derivative: g where lo ≤ x ≤ hi, else 0 (as PyTorch).</summary>
    public static Tensor Clamp(Tensor x, double? min = null, double? max = null)
    {
        if (min is { } lo && max is { } hi && lo > hi)
            throw new ArgumentException($"Clamp: min {lo} is greater than max {hi}.");
        var op = new ClampOp(min ?? double.NegativeInfinity, max ?? double.PositiveInfinity);
        return op.Record(op.Forward(x.Value), x);
    }
}

internal sealed class ClampOp(double lo, double hi) : Primitive
{
    public override string Name => "clamp";
    public override string Attributes => $"min={lo}, max={hi}";

    internal NDArray Forward(NDArray x) => x.DType == DType.Float32 ? Forward<float>(x) : Forward<double>(x);

    private NDArray Forward<T>(NDArray x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = NDArray.Empty<T>(x.Shape);
        T[] xd = x.Array<T>(), yd = y.Array<T>();
        T l = T.CreateChecked(lo), h = T.CreateChecked(hi);
        for (int i = 0; i < yd.Length; i++) yd[i] = xd[i] < l ? l : xd[i] > h ? h : xd[i];
        return y;
    }

    private NDArray Backward<T>(NDArray x, NDArray gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = NDArray.Empty<T>(x.Shape);
        T[] xd = x.Array<T>(), gyd = gy.Array<T>(), gd = g.Array<T>();
        T l = T.CreateChecked(lo), h = T.CreateChecked(hi);
        for (int i = 0; i < gd.Length; i++) gd[i] = xd[i] >= l && xd[i] <= h ? gyd[i] : T.Zero;
        return g;
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var x = y.Input(0).Value;
        return [x.DType == DType.Float32 ? Backward<float>(x, gy) : Backward<double>(x, gy)];
    }
}
