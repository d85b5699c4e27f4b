using static Autograd.Ops;

namespace Autograd.Nn;

/// <summary>Losses and metrics for sequence models, written from <see cref="Ops"/> (no derivative code of their own).</summary>
public static class Losses
{
    /// <summary>
    /// Time-distributed softmax cross-entropy (DLFS2's TimeSoftmaxWithLoss): for logits [T, B, V] and targets [T, B]
    /// (row-major, <c>targets[t * B + b]</c>), the mean over the positions whose target is not
    /// <paramref name="ignoreIndex"/> of logsumexp(logits[t, b]) − logits[t, b, target] (nats per token).
    /// Derivative: (softmax − onehot) / count at the counted positions, 0 elsewhere.
    /// </summary>
    public static Tensor TimeCrossEntropy(Tensor logits, int[] targets, int ignoreIndex = -1)
    {
        if (logits.Rank != 3)
            throw new ShapeMismatchException($"TimeCrossEntropy: logits must be [T, B, V], got shape {logits.Shape}.");
        int t = logits.Shape[0], b = logits.Shape[1], v = logits.Shape[2];
        if (targets.Length != t * b)
            throw new ShapeMismatchException($"TimeCrossEntropy: {targets.Length} targets for logits of shape {logits.Shape} (T·B = {t * b}).");
        return CrossEntropy(Reshape(logits, t * b, v), targets, ignoreIndex, Reduction.Mean);
    }

    /// <summary>
    /// <see cref="TimeCrossEntropy(Tensor, int[], int)"/> with a mask instead of an ignore label: the mean over the
    /// positions where <paramref name="mask"/>[t * B + b] is true.
    /// </summary>
    public static Tensor TimeCrossEntropy(Tensor logits, int[] targets, bool[] mask)
    {
        if (mask.Length != targets.Length)
            throw new ShapeMismatchException($"TimeCrossEntropy: mask has {mask.Length} entries but there are {targets.Length} targets.");
        const int ignored = int.MinValue;
        var masked = new int[targets.Length];
        for (int i = 0; i < masked.Length; i++) masked[i] = mask[i] ? targets[i] : ignored;
        return TimeCrossEntropy(logits, masked, ignored);
    }

    /// <summary>Perplexity from a mean loss in nats per token: exp(meanNats).</summary>
    public static double Perplexity(double meanNats) => Math.Exp(meanNats);

    /// <summary>Perplexity of a one-element mean-loss tensor: exp(loss).</summary>
    public static double Perplexity(Tensor meanLoss) => Math.Exp(meanLoss.Item());
}
