using static Autograd.Ops;

namespace Autograd.Nn;

/// <summary>
/// A lookup table of learned vectors, y[i...] = W[indices[i...]], as an immutable parameter record with PyTorch's
/// parameter name (<c>weight</c> [numEmbeddings, embeddingDim]).
/// </summary>
/// <param name="Weight">W, shaped [numEmbeddings, embeddingDim].</param>
public sealed record Embedding(Tensor Weight)
{
    /// <summary>Number of rows (the vocabulary size).</summary>
    public int NumEmbeddings => Weight.Shape[0];

    /// <summary>Length of each vector.</summary>
    public int EmbeddingDim => Weight.Shape[1];

    /// <summary>A table with PyTorch's default initialization: every entry from N(0, 1), drawn from <paramref name="rng"/>.</summary>
    public static Embedding Create(int numEmbeddings, int embeddingDim, Random rng, DType dtype = DType.Float32)
    {
        if (numEmbeddings < 0 || embeddingDim < 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding.Create: sizes must be non-negative, got {numEmbeddings}×{embeddingDim}.");
        return new Embedding(Tensor.RandomNormal(Shape.Of(numEmbeddings, embeddingDim), rng, 0, 1, dtype));
    }

    /// <summary>The rows picked by <paramref name="indices"/>, shaped <paramref name="indexShape"/> + [embeddingDim]
    /// (e.g. [T, B] indices give [T, B, E]). Derivative: the cotangent's rows added into the picked rows of W.</summary>
    public Tensor Apply(int[] indices, int[] indexShape) => GatherRows(Weight, indices, indexShape);

    /// <summary>The rows picked by <paramref name="indices"/>, shaped [indices.Length, embeddingDim].</summary>
    public Tensor Apply(int[] indices) => GatherRows(Weight, indices);
}
