namespace Autograd;

/// <summary>How a per-sample loss is reduced.</summary>
public enum Reduction
{
    /// <summary>The mean over the samples that count (not ignored).</summary>
    Mean,

    /// <summary>The sum over the samples.</summary>
    Sum,

    /// <summary>No reduction: one loss per sample (0 for an ignored one).</summary>
    None,
}

public static partial class Ops
{
    /// <summary>
    /// Softmax cross-entropy with integer class targets: loss_n = logsumexp(logits[n]) − logits[n, targets[n]],
    /// reduced by <paramref name="reduction"/> (mean over non-ignored samples by default, as PyTorch; all ignored
    /// gives NaN there too). Samples whose target equals <paramref name="ignoreIndex"/> contribute nothing.
    /// A fused primitive for stability (logits of ±1000 are fine) and speed.
    /// Derivative: scale_n·(softmax(logits[n]) − onehot(targets[n])).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        if (logits.Rank != 2)
            throw new ShapeMismatchException($"CrossEntropy: logits must be [N, C], got shape {logits.Shape}; reshape [.., C] logits to [-1, C].");
        int n = logits.Shape[0], c = logits.Shape[1];
        if (targets.Length != n)
            throw new ShapeMismatchException($"CrossEntropy: {targets.Length} targets for logits of shape {logits.Shape} ({n} rows).");
        int counted = 0;
        for (int i = 0; i < n; i++)
        {
            if (targets[i] == ignoreIndex) continue;
            if (targets[i] < 0 || targets[i] >= c)
                throw new ArgumentOutOfRangeException(nameof(targets), $"CrossEntropy: target {targets[i]} at position {i} is out of range for {c} classes (logits shape {logits.Shape}).");
            counted++;
        }
        var op = new CrossEntropyOp((int[])targets.Clone(), ignoreIndex, reduction, counted);
        return op.Record(op.Forward(logits.Value), logits);
    }
}

internal sealed class CrossEntropyOp(int[] targets, int ignoreIndex, Reduction reduction, int counted) : Primitive
{
    public override string Name => "cross_entropy";
    public override string Attributes => $"ignore={ignoreIndex}, {reduction.ToString().ToLowerInvariant()}";

    internal NDArray Forward(NDArray logits) => logits.DType == DType.Float32 ? Forward<float>(logits) : Forward<double>(logits);

    private NDArray Forward<T>(NDArray logits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        var x = logits.Array<T>();
        var losses = new T[n];
        for (int i = 0; i < n; i++)
            if (targets[i] != ignoreIndex) losses[i] = RowLogSumExp(x.AsSpan(i * c, c)) - x[i * c + targets[i]];
        if (reduction == Reduction.None) return new NDArray(Shape.Of(n), losses);
        T total = TensorPrimitives.Sum<T>(losses);
        if (reduction == Reduction.Mean) total /= T.CreateChecked(counted);
        return new NDArray(Shape.Scalar, new[] { total });
    }

    private static T RowLogSumExp<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T m = TensorPrimitives.Max(row);
        if (!T.IsFinite(m)) m = T.Zero;
        T s = T.Zero;
        for (int j = 0; j < row.Length; j++) s += T.Exp(row[j] - m);
        return m + T.Log(s);
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var logits = y.InputArray[0].Value;
        return [logits.DType == DType.Float32 ? Backward<float>(logits, gy) : Backward<double>(logits, gy)];
    }

    private NDArray Backward<T>(NDArray logits, NDArray gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        T[] x = logits.Array<T>(), g = gy.Array<T>();
        var gx = NDArray.Zeros(logits.Shape, logits.DType);
        var gd = gx.Array<T>();
        for (int i = 0; i < n; i++)
        {
            if (targets[i] == ignoreIndex) continue;
            T scale = reduction switch { Reduction.None => g[i], Reduction.Sum => g[0], _ => g[0] / T.CreateChecked(counted) };
            var row = x.AsSpan(i * c, c);
            var grow = gd.AsSpan(i * c, c);
            T lse = RowLogSumExp<T>(row);
            for (int j = 0; j < c; j++) grow[j] = scale * T.Exp(row[j] - lse);
            grow[targets[i]] -= scale;
        }
        return gx;
    }
}
