namespace Autograd;

public static partial class Ops
{
    /// <summary>a + b with NumPy broadcasting. Derivative: the cotangent, summed back over broadcast axes, to each side.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        Promote(ref a, ref b);
        return AddOp.Instance.Record(Arith.Add(a.Value, b.Value), a, b);
    }
}

internal sealed class AddOp : BufferedPrimitive
{
    public static readonly AddOp Instance = new();
    public override string Name => "add";

    // PERF: when the sweep gives up gy, the first input takes it over if the second can add it into its own running
    // sum (a bias shared by the steps of an unroll). Otherwise both get gy, shared, and own none of it: a copy for
    // the second would cost as much as it could save further down.
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned)
    {
        Shape a = y.Input(0).Shape, b = y.Input(1).Shape;
        if (!gyOwned || !a.Equals(gy.Shape) || !b.Equals(gy.Shape))
            return [Broadcasting.SumToShape(gy, a), Broadcasting.SumToShape(gy, b)];
        if (owned[1] is { } sum && sum.DType == gy.DType)
        {
            Kernels.Zip<Arith.AddK>(sum, gy, into: sum);
            return [gy, sum];
        }
        return [gy, gy];
    }
}
