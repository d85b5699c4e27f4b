using static Autograd.Ops;

namespace Autograd.Nn;

/// <summary>
/// A fully connected layer, y = x·Wᵀ + b, as an immutable parameter record with PyTorch's parameter names
/// (<c>weight</c> [out, in], <c>bias</c> [out]) so checkpoints map one to one onto <c>torch.nn.Linear</c>.
/// </summary>
/// <param name="Weight">W, shaped [outFeatures, inFeatures].</param>
/// <param name="Bias">b, shaped [outFeatures], or null for a layer without bias.</param>
public sealed record Linear(Tensor Weight, Tensor? Bias)
{
    /// <summary>Number of input features (the columns of <see cref="Weight"/>).</summary>
    public int InFeatures => Weight.Shape[1];

    /// <summary>Number of output features (the rows of <see cref="Weight"/>).</summary>
    public int OutFeatures => Weight.Shape[0];

    /// <summary>
    /// A layer with PyTorch's default initialization: W and b drawn from U(−1/√inFeatures, 1/√inFeatures)
    /// (kaiming_uniform with a = √5 reduces to that bound), weight first, then bias, from <paramref name="rng"/>.
    /// </summary>
    public static Linear Create(int inFeatures, int outFeatures, Random rng, DType dtype = DType.Float32, bool bias = true)
    {
        if (inFeatures < 0 || outFeatures < 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear.Create: sizes must be non-negative, got in={inFeatures}, out={outFeatures}.");
        double bound = inFeatures > 0 ? 1.0 / Math.Sqrt(inFeatures) : 0;
        var w = Tensor.RandomUniform(Shape.Of(outFeatures, inFeatures), rng, -bound, bound, dtype);
        var b = bias ? Tensor.RandomUniform(Shape.Of(outFeatures), rng, -bound, bound, dtype) : null;
        return new Linear(w, b);
    }

    /// <summary>y = x·Wᵀ + b for x shaped [..., inFeatures]; the result is [..., outFeatures].</summary>
    public Tensor Apply(Tensor x)
    {
        if (x.Rank == 0 || x.Shape[-1] != InFeatures)
            throw new ShapeMismatchException($"Linear: input shape {x.Shape} does not end in {InFeatures} features (weight shape {Weight.Shape}).");
        return Ops.Affine(x, Weight, Bias);
    }
}
