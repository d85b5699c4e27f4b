namespace Autograd;

public static partial class Ops
{
    /// <summary>Inverted dropout: each element is zeroed with probability <paramref name="p"/> and the rest scaled by
    /// 1 / (1 − p), the mask drawn from the explicit generator <paramref name="rng"/> (no hidden global state).
    /// A product with a constant mask, so it needs no derivative code.</summary>
    public static Tensor Dropout(Tensor x, double p, Random rng)
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p must be in [0, 1), got {p}.");
        if (p == 0) return x;
        var keep = new double[x.Size];
        double scale = 1.0 / (1.0 - p);
        for (int i = 0; i < keep.Length; i++) keep[i] = rng.NextDouble() >= p ? scale : 0.0;
        return x * new Tensor(NDArray.From<double>(keep, x.Shape).Cast(x.DType));
    }

    /// <summary>Inverted dropout with a mask drawn from <c>new Random(seed)</c>.</summary>
    public static Tensor Dropout(Tensor x, double p, int seed) => Dropout(x, p, new Random(seed));

}
