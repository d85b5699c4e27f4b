namespace Autograd;

public static partial class Ops
{
    /// <summary>
    /// The matrix product a @ b with PyTorch's rules: [.., M, K] @ [.., K, N] → [.., M, N], leading (batch) axes
    /// broadcast; a vector operand is treated as a row (left) or column (right) and that axis dropped.
    /// Derivative: (g @ bᵀ, aᵀ @ g), summed back over broadcast batch axes.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank == 0 || b.Rank == 0)
            throw new ShapeMismatchException($"MatMul: operands must have rank >= 1, got shapes {a.Shape} and {b.Shape}.");
        int ka = a.Shape[-1], kb = b.Rank == 1 ? b.Shape[0] : b.Shape[-2];
        if (ka != kb)
            throw new ShapeMismatchException($"MatMul: shapes {a.Shape} and {b.Shape} do not fit: a has {ka} columns but b has {kb} rows.");
        if (a.Rank == 1)
        {
            var r = MatMul(Reshape(a, 1, ka), b);
            return Reshape(r, r.Shape.RemoveAxis(r.Rank - 2).ToArray());
        }
        if (b.Rank == 1)
        {
            var r = MatMul(a, Reshape(b, kb, 1));
            return Reshape(r, r.Shape.RemoveAxis(r.Rank - 1).ToArray());
        }
        Promote(ref a, ref b);
        return MatMulOp.Instance.Record(MatMulOp.Product(a.Value, false, b.Value, false, cacheB: true), a, b);
    }
}

internal sealed class MatMulOp : Primitive
{
    public static readonly MatMulOp Instance = new();
    public override string Name => "matmul";

    /// <summary>op(a) @ op(b) over broadcast batch axes, where op swaps the last two axes when asked (no copy is made
    /// for it: the GEMM reads transposed operands directly). <paramref name="cacheB"/>: b is an operand of the recorded
    /// product (a weight, likely multiplied again), not a cotangent, so its packed form is worth keeping.</summary>
    internal static NDArray Product(NDArray a, bool ta, NDArray b, bool tb, bool cacheB = false)
    {
        int m = ta ? a.Shape[-1] : a.Shape[-2], k = ta ? a.Shape[-2] : a.Shape[-1];
        int n = tb ? b.Shape[-2] : b.Shape[-1];
        var batch = Shape.Broadcast(Shape.Of(a.Shape.Dims[..^2]), Shape.Of(b.Shape.Dims[..^2]), "MatMul");
        var outShape = Shape.Of([.. batch.Dims, m, n]);
        if (b.Rank == 2 && !ta)
        {
            // PERF: a right operand shared by every batch folds a's batch into rows: one large GEMM, not many small ones.
            return Gemm(a, false, b, tb, batches: 1, a.Shape.Rows, n, k, outShape, cacheB);
        }
        var ab = Broadcasting.BroadcastTo(a, Shape.Of([.. batch.Dims, a.Shape[-2], a.Shape[-1]]), "MatMul");
        var bb = Broadcasting.BroadcastTo(b, Shape.Of([.. batch.Dims, b.Shape[-2], b.Shape[-1]]), "MatMul");
        return Gemm(ab, ta, bb, tb, batch.Size, m, n, k, outShape, cacheB: false);
    }

    private static NDArray Gemm(NDArray a, bool ta, NDArray b, bool tb, int batches, int m, int n, int k, Shape outShape, bool cacheB) =>
        a.DType == DType.Float32 ? Gemm<float>(a, ta, b, tb, batches, m, n, k, outShape, cacheB) : Gemm<double>(a, ta, b, tb, batches, m, n, k, outShape, cacheB);

    private static NDArray Gemm<T>(NDArray a, bool ta, NDArray b, bool tb, int batches, int m, int n, int k, Shape outShape, bool cacheB) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = NDArray.Empty<T>(outShape);
        for (int i = 0; i < batches; i++)
            Tensors.Gemm.Multiply(ta, tb, m, n, k, a.Array<T>(), i * m * k, b.Array<T>(), i * k * n, c.Array<T>(), i * m * n, accumulate: false, cacheB: cacheB);
        return c;
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        NDArray a = y.Input(0).Value, b = y.Input(1).Value;
        if (b.Rank == 2)
        {
            // a's batch folds into rows: ga = g @ bᵀ and gb = a_rowsᵀ @ g_rows, one GEMM each.
            int k = a.Shape[-1], n = b.Shape[-1], rows = a.Shape.Rows;
            var ga = Product(gy, false, b, true, cacheB: true).Reshape(a.Shape);
            var gb = Product(a.Reshape(Shape.Of(rows, k)), true, gy.Reshape(Shape.Of(rows, n)), false);
            return [ga, gb];
        }
        return [Broadcasting.SumToShape(Product(gy, false, b, true), a.Shape), Broadcasting.SumToShape(Product(a, true, gy, false), b.Shape)];
    }
}
