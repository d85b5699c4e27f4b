using System.Collections.Immutable;

namespace Autograd.Optim;

/// <summary>
/// Adagrad as in Karpathy's min-char-rnn: mem ← mem + g²; p ← p − lr·g / √(mem + ε) (ε inside the root, 1e-8).
/// (PyTorch's Adagrad puts ε outside the root and defaults it to 1e-10.)
/// </summary>
public sealed record Adagrad : IOptimizer<AdagradState>
{
    /// <summary>An optimizer with learning rate <paramref name="lr"/> (min-char-rnn uses 0.1) and ε.</summary>
    public Adagrad(Schedule lr, double eps = 1e-8)
    {
        Lr = lr;
        Eps = eps > 0 ? eps : throw new ArgumentOutOfRangeException(nameof(eps), $"Adagrad: eps must be positive, got {eps}.");
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule Lr { get; init; }

    /// <summary>ε, added under the square root.</summary>
    public double Eps { get; init; }

    /// <inheritdoc/>
    public AdagradState Init<P>(P parameters) => new(0, LeafMap.ZerosLike(Tree.Flatten(parameters)));

    /// <inheritdoc/>
    public (P Params, AdagradState State) Step<P>(P parameters, P grads, AdagradState state)
    {
        var (p, g) = LeafMap.Pair(parameters, grads, "Adagrad");
        var r = LeafMap.Map(new Kernel(Lr.At(state.Step), Eps), 2, "Adagrad", ["parameters", "gradients", "memories"], p, g, state.Memory);
        return (Tree.Rebuild(parameters, r[0]), new AdagradState(state.Step + 1, r[1]));
    }

    private readonly record struct Kernel(double Lr, double Eps) : ILeafKernel
    {
        public void Apply<T>(T[][] x, T[][] y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = x[0], g = x[1], mem = x[2], p1 = y[0], mem1 = y[1];
            TensorPrimitives.FusedMultiplyAdd(g, g, mem, mem1);
            // p1 is free until the last line: use it as scratch for g / √(mem + ε).
            TensorPrimitives.Add(mem1, T.CreateChecked(Eps), p1);
            TensorPrimitives.Sqrt(p1, p1);
            TensorPrimitives.Divide(g, p1, p1);
            TensorPrimitives.FusedMultiplyAdd(p1, T.CreateChecked(-Lr), p, p1);
        }
    }
}

/// <summary>The state of <see cref="Adagrad"/>.</summary>
/// <param name="Step">Number of updates applied so far.</param>
/// <param name="Memory">The running sum of squared gradients of each parameter leaf (min-char-rnn's <c>mem</c>).</param>
public sealed record AdagradState(int Step, ImmutableArray<Tensor> Memory) : IOptimizerState<AdagradState>
{
    /// <inheritdoc/>
    public IReadOnlyList<(string Slot, ImmutableArray<Tensor> Leaves)> Slots => [("sum", Memory)];

    /// <inheritdoc/>
    public static IReadOnlyList<string> SlotNames => ["sum"];

    /// <inheritdoc/>
    public static AdagradState FromSlots(int step, IReadOnlyList<ImmutableArray<Tensor>> slots) => new(step, slots[0]);
}
