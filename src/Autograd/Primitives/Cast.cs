namespace Autograd;

public static partial class Ops
{
    /// <summary>x converted to <paramref name="dtype"/>. Derivative: g converted back to x's dtype.</summary>
    public static Tensor Cast(Tensor x, DType dtype) => x.DType == dtype ? x : new CastOp(dtype).Record(x.Value.Cast(dtype), x);

    // Mixed float32/float64 operands promote to float64, as in NumPy and PyTorch.
    private static void Promote(ref Tensor a, ref Tensor b)
    {
        if (a.DType == b.DType) return;
        var t = DTypeExtensions.Promote(a.DType, b.DType);
        a = Cast(a, t);
        b = Cast(b, t);
    }
}

internal sealed class CastOp(DType dtype) : Primitive
{
    public override string Name => "cast";
    public override string Attributes => dtype.Name();

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [gy.Cast(y.Input(0).DType)];
}
