namespace Autograd.Optim;

/// <summary>Gradient clipping over any gradient tree, as pure functions returning new trees.</summary>
public static class Clip
{
    /// <summary>
    /// PyTorch's <c>clip_grad_norm_</c>: with ‖g‖ the L2 norm of all leaves together, every leaf is scaled by
    /// min(1, maxNorm / (‖g‖ + 1e-6)). Returns the (possibly) scaled gradients and ‖g‖ before clipping. When no
    /// scaling is needed the input tree is returned as is. A non-finite norm propagates (as in PyTorch by default).
    /// </summary>
    public static (P Grads, double Norm) ByGlobalNorm<P>(P grads, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"Clip.ByGlobalNorm: maxNorm must be positive, got {maxNorm}.");
        var leaves = Tree.Flatten(grads);
        double sumSquares = 0;
        foreach (var t in leaves)
            sumSquares += t.DType == DType.Float32 ? TensorPrimitives.SumOfSquares(t.Value.Span<float>()) : TensorPrimitives.SumOfSquares(t.Value.Span<double>());
        double norm = Math.Sqrt(sumSquares);
        double scale = Math.Min(1.0, maxNorm / (norm + 1e-6));
        if (scale == 1.0) return (grads, norm);
        var r = LeafMap.Map(new Scale(scale), 1, "Clip.ByGlobalNorm", ["gradients"], leaves);
        return (Tree.Rebuild(grads, r[0]), norm);
    }

    /// <summary>Each element clamped to [−limit, limit] (PyTorch's <c>clip_grad_value_</c>); NaN stays NaN.</summary>
    public static P ByValue<P>(P grads, double limit)
    {
        if (!(limit >= 0)) throw new ArgumentOutOfRangeException(nameof(limit), $"Clip.ByValue: limit must be >= 0, got {limit}.");
        var r = LeafMap.Map(new Bound(limit), 1, "Clip.ByValue", ["gradients"], Tree.Flatten(grads));
        return Tree.Rebuild(grads, r[0]);
    }

    private readonly record struct Scale(double Factor) : ILeafKernel
    {
        public void Apply<T>(T[][] x, T[][] y) where T : unmanaged, IFloatingPointIeee754<T> =>
            TensorPrimitives.Multiply(x[0], T.CreateChecked(Factor), y[0]);
    }

    private readonly record struct Bound(double Limit) : ILeafKernel
    {
        public void Apply<T>(T[][] x, T[][] y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Min(x[0], T.CreateChecked(Limit), y[0]);
            TensorPrimitives.Max(y[0], T.CreateChecked(-Limit), y[0]);
        }
    }
}
