namespace Autograd;

public static partial class Ops
{
    /// <summary>1 where a &gt; b, else 0 (broadcasting). A constant mask for <see cref="Where"/>: not differentiated.</summary>
    public static Tensor Greater(Tensor a, Tensor b) => Compare(a, b, (x, y) => x > y, "Greater");

    /// <summary>1 where a &lt; b, else 0 (broadcasting). A constant mask: not differentiated.</summary>
    public static Tensor Less(Tensor a, Tensor b) => Compare(a, b, (x, y) => x < y, "Less");

    /// <summary>1 where a == b, else 0 (broadcasting). A constant mask: not differentiated.</summary>
    public static Tensor Equal(Tensor a, Tensor b) => Compare(a, b, (x, y) => x == y, "Equal");

    private static Tensor Compare(Tensor a, Tensor b, Func<double, double, bool> f, string op)
    {
        var shape = Shape.Broadcast(a.Shape, b.Shape, op);
        var dtype = DTypeExtensions.Promote(a.DType, b.DType);
        NDArray av = Broadcasting.BroadcastTo(a.Value.Cast(dtype), shape, op), bv = Broadcasting.BroadcastTo(b.Value.Cast(dtype), shape, op);
        var r = new double[shape.Size];
        for (int i = 0; i < r.Length; i++) r[i] = f(av.GetFlat(i), bv.GetFlat(i)) ? 1 : 0;
        return new Tensor(NDArray.From<double>(r, shape).Cast(dtype));
    }
}
