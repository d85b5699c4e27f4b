using System.Collections.Immutable;

namespace Autograd.Optim;

/// <summary>
/// Adam with PyTorch's bias-corrected formulas (<c>torch.optim.Adam</c>, amsgrad off): with t the 1-based step and
/// g ← g + λp when weight decay λ is set (L2, coupled),
/// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
/// </summary>
public sealed record Adam : IOptimizer<AdamState>
{
    /// <summary>An optimizer with PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay.</summary>
    public Adam(Schedule? lr = null, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
    {
        AdamMath.Validate("Adam", beta1, beta2, eps, weightDecay);
        (Lr, Beta1, Beta2, Eps, WeightDecay) = (lr ?? 1e-3, beta1, beta2, eps, weightDecay);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule Lr { get; init; }

    /// <summary>β₁, the decay of the first moment.</summary>
    public double Beta1 { get; init; }

    /// <summary>β₂, the decay of the second moment.</summary>
    public double Beta2 { get; init; }

    /// <summary>ε, added to the corrected root of the second moment.</summary>
    public double Eps { get; init; }

    /// <summary>λ, the L2 penalty added to the gradient (coupled, unlike <see cref="AdamW"/>).</summary>
    public double WeightDecay { get; init; }

    /// <inheritdoc/>
    public AdamState Init<P>(P parameters) => AdamMath.Init(parameters);

    /// <inheritdoc/>
    public (P Params, AdamState State) Step<P>(P parameters, P grads, AdamState state) =>
        AdamMath.Step("Adam", parameters, grads, state, Lr, Beta1, Beta2, Eps, WeightDecay, decoupled: false);
}

/// <summary>
/// AdamW (<c>torch.optim.AdamW</c>): Adam with decoupled weight decay, p ← p·(1 − lr·λ) before the Adam update
/// (the gradient itself is not changed). PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, λ = 0.01.
/// </summary>
public sealed record AdamW : IOptimizer<AdamState>
{
    /// <summary>An optimizer with PyTorch's AdamW defaults.</summary>
    public AdamW(Schedule? lr = null, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    {
        AdamMath.Validate("AdamW", beta1, beta2, eps, weightDecay);
        (Lr, Beta1, Beta2, Eps, WeightDecay) = (lr ?? 1e-3, beta1, beta2, eps, weightDecay);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule Lr { get; init; }

    /// <summary>β₁, the decay of the first moment.</summary>
    public double Beta1 { get; init; }

    /// <summary>β₂, the decay of the second moment.</summary>
    public double Beta2 { get; init; }

    /// <summary>ε, added to the corrected root of the second moment.</summary>
    public double Eps { get; init; }

    /// <summary>λ, the decoupled decay rate (scaled by the learning rate).</summary>
    public double WeightDecay { get; init; }

    /// <inheritdoc/>
    public AdamState Init<P>(P parameters) => AdamMath.Init(parameters);

    /// <inheritdoc/>
    public (P Params, AdamState State) Step<P>(P parameters, P grads, AdamState state) =>
        AdamMath.Step("AdamW", parameters, grads, state, Lr, Beta1, Beta2, Eps, WeightDecay, decoupled: true);
}

/// <summary>The state of <see cref="Adam"/> and <see cref="AdamW"/>.</summary>
/// <param name="Step">Number of updates applied so far (t of the last update).</param>
/// <param name="M">The first moment of each parameter leaf (PyTorch's <c>exp_avg</c>).</param>
/// <param name="V">The second moment of each parameter leaf (PyTorch's <c>exp_avg_sq</c>).</param>
public sealed record AdamState(int Step, ImmutableArray<Tensor> M, ImmutableArray<Tensor> V) : IOptimizerState<AdamState>
{
    /// <inheritdoc/>
    public IReadOnlyList<(string Slot, ImmutableArray<Tensor> Leaves)> Slots => [("m", M), ("v", V)];

    /// <inheritdoc/>
    public static IReadOnlyList<string> SlotNames => ["m", "v"];

    /// <inheritdoc/>
    public static AdamState FromSlots(int step, IReadOnlyList<ImmutableArray<Tensor>> slots) => new(step, slots[0], slots[1]);
}

/// <summary>The update shared by Adam and AdamW.</summary>
internal static class AdamMath
{
    public static void Validate(string op, double beta1, double beta2, double eps, double weightDecay)
    {
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), $"{op}: beta1 must be in [0, 1), got {beta1}.");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), $"{op}: beta2 must be in [0, 1), got {beta2}.");
        if (eps < 0) throw new ArgumentOutOfRangeException(nameof(eps), $"{op}: eps must be >= 0, got {eps}.");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"{op}: weightDecay must be >= 0, got {weightDecay}.");
    }

    public static AdamState Init<P>(P parameters)
    {
        var leaves = Tree.Flatten(parameters);
        return new AdamState(0, LeafMap.ZerosLike(leaves), LeafMap.ZerosLike(leaves));
    }

    public static (P, AdamState) Step<P>(string op, P parameters, P grads, AdamState state, Schedule lr,
        double beta1, double beta2, double eps, double weightDecay, bool decoupled)
    {
        var (p, g) = LeafMap.Pair(parameters, grads, op);
        int t = state.Step + 1;
        var k = new Kernel(lr.At(state.Step), beta1, beta2, eps, 1 - Math.Pow(beta1, t), 1 - Math.Pow(beta2, t), weightDecay, decoupled);
        var r = LeafMap.Map(k, 3, op, ["parameters", "gradients", "first moments", "second moments"], p, g, state.M, state.V);
        return (Tree.Rebuild(parameters, r[0]), new AdamState(t, r[1], r[2]));
    }

    private readonly record struct Kernel(double Lr, double Beta1, double Beta2, double Eps, double Correction1, double Correction2,
        double WeightDecay, bool Decoupled) : ILeafKernel
    {
        public void Apply<T>(T[][] x, T[][] y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = x[0], g = x[1], m = x[2], v = x[3], p1 = y[0], m1 = y[1], v1 = y[2];
            int n = p.Length;
            var scratch = LeafMap.Rent<T>(2 * n);
            try
            {
                Span<T> gg = scratch.AsSpan(0, n), tmp = scratch.AsSpan(n, n);
                if (WeightDecay != 0 && !Decoupled) TensorPrimitives.FusedMultiplyAdd(p, T.CreateChecked(WeightDecay), g, gg);
                else g.AsSpan().CopyTo(gg);
                // m1 = β₁m + (1 − β₁)g
                TensorPrimitives.Multiply(gg, T.CreateChecked(1 - Beta1), m1);
                TensorPrimitives.FusedMultiplyAdd(m, T.CreateChecked(Beta1), m1, m1);
                // v1 = β₂v + (1 − β₂)g²
                TensorPrimitives.Multiply(gg, gg, tmp);
                TensorPrimitives.Multiply(tmp, T.CreateChecked(1 - Beta2), v1);
                TensorPrimitives.FusedMultiplyAdd(v, T.CreateChecked(Beta2), v1, v1);
                // denominator √v1 / √(1 − β₂ᵗ) + ε, as PyTorch evaluates it
                TensorPrimitives.Sqrt(v1, tmp);
                TensorPrimitives.Divide(tmp, T.CreateChecked(Math.Sqrt(Correction2)), tmp);
                TensorPrimitives.Add(tmp, T.CreateChecked(Eps), tmp);
                TensorPrimitives.Divide(m1, tmp, tmp);
                if (Decoupled && WeightDecay != 0) TensorPrimitives.Multiply(p, T.CreateChecked(1 - Lr * WeightDecay), p1);
                else p.AsSpan().CopyTo(p1);
                TensorPrimitives.FusedMultiplyAdd(tmp, T.CreateChecked(-Lr / Correction1), p1, p1);
            }
            finally { LeafMap.Return(scratch); }
        }
    }
}
