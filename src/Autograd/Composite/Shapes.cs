namespace Autograd;

public static partial class Ops
{
    /// <summary>Swaps two axes (a permutation).</summary>
    public static Tensor Transpose(Tensor x, int axis0, int axis1)
    {
        if (x.Rank < 2) throw new ShapeMismatchException($"Transpose: needs rank >= 2, got shape {x.Shape}.");
        int a = x.Shape.Axis(axis0, "Transpose"), b = x.Shape.Axis(axis1, "Transpose");
        var perm = Enumerable.Range(0, x.Rank).ToArray();
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(x, perm);
    }

    /// <summary>Inserts an axis of size 1 at <paramref name="axis"/> (−1: at the end).</summary>
    public static Tensor Unsqueeze(Tensor x, int axis)
    {
        int a = Shape.Axis(axis, x.Rank + 1, "Unsqueeze", x.Shape);
        return Reshape(x, x.Shape.InsertAxis(a, 1).ToArray());
    }

    /// <summary>Removes an axis of size 1.</summary>
    public static Tensor Squeeze(Tensor x, int axis)
    {
        int a = x.Shape.Axis(axis, "Squeeze");
        if (x.Shape[a] != 1) throw new ShapeMismatchException($"Squeeze: axis {axis} of shape {x.Shape} has size {x.Shape[a]}, not 1.");
        return Reshape(x, x.Shape.RemoveAxis(a).ToArray());
    }

    /// <summary>Flattens to one axis.</summary>
    public static Tensor Flatten(Tensor x) => Reshape(x, -1);

    /// <summary>Joins equally shaped tensors along a new axis.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> xs, int axis = 0)
    {
        if (xs.Count == 0) throw new ArgumentException("Stack: at least one tensor is required.");
        for (int i = 1; i < xs.Count; i++)
            if (!xs[i].Shape.Equals(xs[0].Shape))
                throw new ShapeMismatchException($"Stack: tensor {i} has shape {xs[i].Shape} but tensor 0 has {xs[0].Shape}; all must be equal.");
        int a = Shape.Axis(axis, xs[0].Rank + 1, "Stack", xs[0].Shape);
        return Concat(xs.Select(x => Unsqueeze(x, a)).ToArray(), a);
    }

    /// <summary>Splits along <paramref name="axis"/> into pieces of the given sizes, which must add up to the axis size.</summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int axis = 0)
    {
        int a = x.Shape.Axis(axis, "Split");
        if (sizes.Any(s => s < 0) || sizes.Sum() != x.Shape[a])
            throw new ShapeMismatchException($"Split: sizes [{string.Join(", ", sizes)}] do not add up to axis {axis} of shape {x.Shape} (size {x.Shape[a]}).");
        var parts = new Tensor[sizes.Length];
        for (int i = 0, at = 0; i < sizes.Length; at += sizes[i], i++) parts[i] = Slice(x, a, at, at + sizes[i]);
        return parts;
    }

    /// <summary>Splits along <paramref name="axis"/> into <paramref name="chunks"/> pieces; the size must divide evenly.</summary>
    public static Tensor[] Chunk(Tensor x, int chunks, int axis = 0)
    {
        int a = x.Shape.Axis(axis, "Chunk");
        if (chunks <= 0 || x.Shape[a] % chunks != 0)
            throw new ShapeMismatchException($"Chunk: axis {axis} of shape {x.Shape} (size {x.Shape[a]}) does not split into {chunks} equal chunks.");
        return Split(x, Enumerable.Repeat(x.Shape[a] / chunks, chunks).ToArray(), a);
    }

    /// <summary>Slices one index along the first axis and drops it: x[i].</summary>
    public static Tensor Index(Tensor x, int index)
    {
        if (x.Rank == 0) throw new ShapeMismatchException("Index: a scalar cannot be indexed.");
        int n = x.Shape[0], i = index < 0 ? index + n : index;
        if (i < 0 || i >= n) throw new ArgumentOutOfRangeException(nameof(index), $"Index: index {index} is out of range for axis 0 of shape {x.Shape}.");
        return Squeeze(Slice(x, 0, i, i + 1), 0);
    }
}
