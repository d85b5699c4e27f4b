using System.Buffers;

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

    // PERF: log Σ exp of each row, kept from the forward for the rule (the backward no longer recomputes it).
    private Array _lse = null!;

    internal NDArray Forward(NDArray logits) => logits.DType == DType.Float32 ? Forward<float>(logits) : Forward<double>(logits);

    private NDArray Forward<T>(NDArray logits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        var x = logits.Array<T>();
        var losses = new T[n];
        var lse = new T[n];
        // PERF: rows are independent; a char-LM head (1600 × 65) runs as two halves on two cores.
        RowHalves.Run(n, RowWork(n, c), (i0, i1) =>
        {
            var scratch = ArrayPool<T>.Shared.Rent(c);
            try
            {
                for (int i = i0; i < i1; i++)
                    if (targets[i] != ignoreIndex)
                    {
                        lse[i] = RowLogSumExp(x.AsSpan(i * c, c), scratch.AsSpan(0, c));
                        losses[i] = lse[i] - x[i * c + targets[i]];
                    }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
            }
        });
        _lse = lse;
        if (reduction == Reduction.None) return new NDArray(Shape.Of(n), losses);
        T total = TensorPrimitives.Sum<T>(losses);
        if (reduction == Reduction.Mean) total /= T.CreateChecked(counted);
        return new NDArray(Shape.Scalar, new[] { total });
    }

    // PERF: the exponentials of a row in one vectorized pass (a scalar Exp per logit dominated the char-LM head).
    private static T RowLogSumExp<T>(ReadOnlySpan<T> row, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T m = TensorPrimitives.Max(row);
        if (!T.IsFinite(m)) m = T.Zero;
        TensorPrimitives.Subtract(row, m, scratch);
        TensorPrimitives.Exp<T>(scratch, scratch);
        return m + T.Log(TensorPrimitives.Sum<T>(scratch));
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var logits = y.Input(0).Value;
        return [logits.DType == DType.Float32 ? Backward<float>(logits, gy) : Backward<double>(logits, gy)];
    }

    private NDArray Backward<T>(NDArray logits, NDArray gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        T[] x = logits.Array<T>(), g = gy.Array<T>(), lse = (T[])_lse;
        var gx = NDArray.Zeros(logits.Shape, logits.DType);
        var gd = gx.Array<T>();
        RowHalves.Run(n, RowWork(n, c), (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
            {
                if (targets[i] == ignoreIndex) continue;
                T scale = reduction switch { Reduction.None => g[i], Reduction.Sum => g[0], _ => g[0] / T.CreateChecked(counted) };
                var grow = gd.AsSpan(i * c, c);
                TensorPrimitives.Subtract(x.AsSpan(i * c, c), lse[i], grow);
                TensorPrimitives.Exp<T>(grow, grow);
                TensorPrimitives.Multiply(grow, scale, grow);
                grow[targets[i]] -= scale;
            }
        });
        return gx;
    }

    // About 16 flops' worth per logit (an exponential and a few passes), in RowHalves' units of work.
    private static long RowWork(int n, int c) => 16L * n * c;
}
