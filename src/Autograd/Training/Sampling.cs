namespace Autograd.Training;

/// <summary>Drawing tokens from a model's logits, with every random number taken from an explicit, seeded <see cref="Random"/>.</summary>
public static class Sampling
{
    /// <summary>
    /// An index drawn from softmax(logits / temperature), restricted to the <paramref name="topK"/> largest logits when
    /// given (ties with the k-th value are kept, as in the usual <c>logits[logits &lt; v[-1]] = -inf</c>).
    /// Temperature 0 picks the argmax (the first on ties). <paramref name="logits"/> holds V values: a vector [V] or a
    /// [1, ..., 1, V] tensor. Computed in double.
    /// </summary>
    public static int SampleIndex(Tensor logits, double temperature, int? topK, Random rng)
    {
        if (logits.Rank == 0 || logits.Size != logits.Shape[-1])
            throw new ArgumentException($"Sampling: logits must hold one row of V values ([V] or [1, V]), got shape {logits.Shape}.");
        if (!(temperature >= 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"Sampling: temperature must be >= 0, got {temperature}.");
        var l = logits.ToDoubleArray();
        int v = l.Length;
        if (v == 0) throw new ArgumentException("Sampling: there are no logits to sample from.");
        if (topK is { } k && (k < 1 || k > v)) throw new ArgumentOutOfRangeException(nameof(topK), $"Sampling: topK must be in 1..{v}, got {k}.");
        if (l.Any(double.IsNaN)) throw new ArgumentException("Sampling: the logits contain NaN.");
        int argmax = Array.IndexOf(l, l.Max());
        if (temperature == 0) return argmax;
        double threshold = double.NegativeInfinity;
        if (topK is { } kk && kk < v)
        {
            var sorted = (double[])l.Clone();
            Array.Sort(sorted, (a, b) => b.CompareTo(a));
            threshold = sorted[kk - 1];
        }
        double max = l[argmax];
        var p = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++)
        {
            // exp((l − max) / T): the largest term is 1, so a tiny temperature cannot overflow and leaves only the argmax.
            p[i] = l[i] < threshold ? 0 : Math.Exp((l[i] - max) / temperature);
            sum += p[i];
        }
        double u = rng.NextDouble() * sum, acc = 0;
        int last = argmax;
        for (int i = 0; i < v; i++)
        {
            if (p[i] == 0) continue;
            acc += p[i];
            last = i;
            if (u < acc) return i;
        }
        return last;   // u landed on the rounding slack at the top: the last candidate
    }

    /// <summary>
    /// Generates <paramref name="length"/> indices from any model given as a step function
    /// <c>(state, index) → (state, logits of the next index)</c>: feeds the <paramref name="priming"/> indices (at least one)
    /// from <paramref name="initialState"/>, then repeatedly samples with <see cref="SampleIndex"/> and feeds the sample back.
    /// Returns the generated indices (not including the priming ones).
    /// </summary>
    public static int[] Generate<S>(IReadOnlyList<int> priming, S initialState, Func<S, int, (S State, Tensor Logits)> step,
        int length, double temperature, int? topK, Random rng)
    {
        if (priming.Count == 0) throw new ArgumentException("Sampling.Generate: at least one priming index is required to get the first logits.");
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"Sampling.Generate: length must be >= 0, got {length}.");
        var state = initialState;
        Tensor logits = null!;
        foreach (int i in priming) (state, logits) = step(state, i);
        var result = new int[length];
        for (int t = 0; t < length; t++)
        {
            result[t] = SampleIndex(logits, temperature, topK, rng);
            if (t + 1 < length) (state, logits) = step(state, result[t]);
        }
        return result;
    }
}
