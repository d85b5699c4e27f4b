namespace Autograd;

public static partial class Ops
{
    /// <summary>Reorders axes: axis k of the result is axis <c>axes[k]</c> of x (negative axes count from the end).
    /// Derivative: g permuted by the inverse permutation.</summary>
    public static Tensor Permute(Tensor x, params int[] axes)
    {
        if (axes.Length != x.Rank)
            throw new ArgumentException($"Permute: {axes.Length} axes given for a tensor of rank {x.Rank} (shape {x.Shape}).");
        var perm = new int[axes.Length];
        var used = new bool[axes.Length];
        for (int k = 0; k < axes.Length; k++)
        {
            perm[k] = x.Shape.Axis(axes[k], "Permute");
            if (used[perm[k]]) throw new ArgumentException($"Permute: axis {axes[k]} appears twice in [{string.Join(", ", axes)}].");
            used[perm[k]] = true;
        }
        bool identity = true;
        for (int k = 0; k < perm.Length; k++) identity &= perm[k] == k;
        return identity ? x : new PermuteOp(perm).Record(Layout.Permute(x.Value, perm), x);
    }
}

internal sealed class PermuteOp(int[] perm) : Primitive
{
    public override string Name => "permute";
    public override string Attributes => string.Join(",", perm);

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var inverse = new int[perm.Length];
        for (int k = 0; k < perm.Length; k++) inverse[perm[k]] = k;
        return [Layout.Permute(gy, inverse)];
    }
}
