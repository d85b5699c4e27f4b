namespace Autograd;

public static partial class Ops
{
    /// <summary>
    /// The affine map of PyTorch's <c>F.linear</c>: y = x @ Wᵀ + b, with x [.., in], W [out, in], b [out] → y [.., out]
    /// (leading axes of x are folded into rows). Derivative: gx = g @ W, gW = g_rowsᵀ @ x_rows, gb = Σ_rows g.
    /// A primitive for speed: the composite <c>MatMul(x, W.T) + b</c> records three nodes and copies Wᵀ; this one is a
    /// single GEMM that reads W transposed in place, with the bias folded into its accumulator.
    /// </summary>
    public static Tensor Affine(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (x.Rank < 1 || weight.Rank != 2 || x.Shape[-1] != weight.Shape[1])
            throw new ShapeMismatchException(
                $"Affine: input shape {x.Shape} and weight shape {weight.Shape} do not fit: expected input [.., in] and weight [out, in] " +
                $"with the same in (input has {(x.Rank < 1 ? "no axes" : $"in = {x.Shape[-1]}")}, weight has {(weight.Rank == 2 ? $"in = {weight.Shape[1]}" : $"rank {weight.Rank}")}).");
        int outFeatures = weight.Shape[0];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
            throw new ShapeMismatchException($"Affine: bias shape {bias.Shape} does not fit weight shape {weight.Shape}: expected bias [{outFeatures}].");
        var dtype = bias is null ? DTypeExtensions.Promote(x.DType, weight.DType)
            : DTypeExtensions.Promote(DTypeExtensions.Promote(x.DType, weight.DType), bias.DType);
        x = Cast(x, dtype);
        weight = Cast(weight, dtype);
        var value = AffineOp.Forward(x.Value, weight.Value, bias is null ? null : Cast(bias, dtype).Value);
        return bias is null ? AffineOp.Instance.Record(value, x, weight) : AffineOp.Instance.Record(value, x, weight, Cast(bias, dtype));
    }
}

internal sealed class AffineOp : BufferedPrimitive
{
    public static readonly AffineOp Instance = new();
    public override string Name => "affine";

    internal static NDArray Forward(NDArray x, NDArray w, NDArray? b) =>
        x.DType == DType.Float32 ? Forward<float>(x, w, b) : Forward<double>(x, w, b);

    private static NDArray Forward<T>(NDArray x, NDArray w, NDArray? b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = w.Shape[0], k = w.Shape[1], rows = x.Shape.Rows;
        var y = NDArray.Empty<T>(x.Shape.WithAxis(x.Rank - 1, n));
        T[] yd = y.Array<T>();
        if (b is not null)
        {
            // PERF: the bias seeds the accumulator, so the GEMM adds onto it with no second pass.
            var bd = b.Array<T>().AsSpan();
            for (int r = 0; r < rows; r++) bd.CopyTo(yd.AsSpan(r * n, n));
        }
        // PERF: W is an immutable weight read again at every step of an unroll: its packed panels are kept (cacheB).
        Gemm.Multiply(false, true, rows, n, k, x.Array<T>(), 0, w.Array<T>(), 0, yd, 0, accumulate: b is not null, cacheB: true);
        return y;
    }

    // PERF: gW of a weight shared by T steps is added by the GEMM straight into the sweep's running sum (accumulate),
    // not returned as a new [out, in] array per step (a large-object-heap array for H = 128 LSTM weights).
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned) =>
        gy.DType == DType.Float32 ? Vjp<float>(y, gy, owned) : Vjp<double>(y, gy, owned);

    private static NDArray?[] Vjp<T>(Tensor y, NDArray gy, NDArray?[] owned) where T : unmanaged, IFloatingPointIeee754<T>
    {
        NDArray x = y.Input(0).Value, w = y.Input(1).Value;
        int n = w.Shape[0], k = w.Shape[1], rows = x.Shape.Rows;
        T[] g = gy.Array<T>();
        var gx = NDArray.Empty<T>(x.Shape);
        Gemm.Multiply(false, false, rows, k, n, g, 0, w.Array<T>(), 0, gx.Array<T>(), 0, accumulate: false, cacheB: true);
        bool into = owned[1] is { } o && o.DType == gy.DType;
        var gw = into ? owned[1]! : NDArray.Empty<T>(w.Shape);
        Gemm.Multiply(true, false, n, k, rows, g, 0, x.Array<T>(), 0, gw.Array<T>(), 0, accumulate: into);
        if (y.InputCount == 2) return [gx, gw];
        var gb = Reduce.Sum(gy.Reshape(Shape.Of(rows, n)), [0], keepDim: false);
        return [gx, gw, gb];
    }
}
