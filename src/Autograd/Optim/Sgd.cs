using System.Collections.Immutable;

namespace Autograd.Optim;

/// <summary>Plain stochastic gradient descent: p ← p − lr·(g + weightDecay·p).</summary>
public sealed record Sgd : IOptimizer<SgdState>
{
    /// <summary>An optimizer with learning rate <paramref name="lr"/> (a number or a <see cref="Schedule"/>) and L2 weight decay.</summary>
    public Sgd(Schedule lr, double weightDecay = 0)
    {
        Lr = lr;
        WeightDecay = weightDecay >= 0 ? weightDecay : throw new ArgumentOutOfRangeException(nameof(weightDecay), $"Sgd: weightDecay must be >= 0, got {weightDecay}.");
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule Lr { get; init; }

    /// <summary>The L2 penalty coefficient added to the gradient.</summary>
    public double WeightDecay { get; init; }

    /// <inheritdoc/>
    public SgdState Init<P>(P parameters) => new(0);

    /// <inheritdoc/>
    public (P Params, SgdState State) Step<P>(P parameters, P grads, SgdState state)
    {
        var (p, g) = LeafMap.Pair(parameters, grads, "Sgd");
        var r = LeafMap.Map(new Kernel(Lr.At(state.Step), WeightDecay), 1, "Sgd", ["parameters", "gradients"], p, g);
        return (Tree.Rebuild(parameters, r[0]), new SgdState(state.Step + 1));
    }

    private readonly record struct Kernel(double Lr, double WeightDecay) : ILeafKernel
    {
        public void Apply<T>(T[][] x, T[][] y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = x[0], g = x[1], p1 = y[0];
            if (WeightDecay == 0) { TensorPrimitives.FusedMultiplyAdd(g, T.CreateChecked(-Lr), p, p1); return; }
            TensorPrimitives.FusedMultiplyAdd(p, T.CreateChecked(WeightDecay), g, p1);   // g + wd·p
            TensorPrimitives.FusedMultiplyAdd(p1, T.CreateChecked(-Lr), p, p1);
        }
    }
}

/// <summary>The state of <see cref="Sgd"/>: only the update count.</summary>
/// <param name="Step">Number of updates applied so far.</param>
public sealed record SgdState(int Step) : IOptimizerState<SgdState>
{
    /// <inheritdoc/>
    public IReadOnlyList<(string Slot, ImmutableArray<Tensor> Leaves)> Slots => [];

    /// <inheritdoc/>
    public static IReadOnlyList<string> SlotNames => [];

    /// <inheritdoc/>
    public static SgdState FromSlots(int step, IReadOnlyList<ImmutableArray<Tensor>> slots) => new(step);
}
