using System.Collections.Immutable;

namespace Autograd.Optim;

/// <summary>
/// SGD with momentum, exactly PyTorch's <c>torch.optim.SGD(momentum=μ, dampening=τ, nesterov=…)</c>:
/// d = g + λp; buf = d on the first step, else μ·buf + (1 − τ)·d; step direction = d + μ·buf (Nesterov) or buf;
/// p ← p − lr·direction.
/// </summary>
public sealed record Momentum : IOptimizer<MomentumState>
{
    /// <summary>An optimizer with learning rate <paramref name="lr"/>, momentum μ, dampening τ, Nesterov flag and L2 weight decay λ.</summary>
    public Momentum(Schedule lr, double momentum = 0.9, double dampening = 0, bool nesterov = false, double weightDecay = 0)
    {
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), $"Momentum: momentum must be >= 0, got {momentum}.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Momentum: Nesterov momentum requires a positive momentum and zero dampening (as in PyTorch).");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"Momentum: weightDecay must be >= 0, got {weightDecay}.");
        (Lr, Mu, Dampening, Nesterov, WeightDecay) = (lr, momentum, dampening, nesterov, weightDecay);
    }

    /// <summary>The learning-rate schedule.</summary>
    public Schedule Lr { get; init; }

    /// <summary>The momentum factor μ.</summary>
    public double Mu { get; init; }

    /// <summary>The dampening τ applied to new gradients after the first step.</summary>
    public double Dampening { get; init; }

    /// <summary>Whether to use Nesterov's look-ahead direction.</summary>
    public bool Nesterov { get; init; }

    /// <summary>The L2 penalty coefficient λ added to the gradient.</summary>
    public double WeightDecay { get; init; }

    /// <inheritdoc/>
    public MomentumState Init<P>(P parameters) => new(0, LeafMap.ZerosLike(Tree.Flatten(parameters)));

    /// <inheritdoc/>
    public (P Params, MomentumState State) Step<P>(P parameters, P grads, MomentumState state)
    {
        var (p, g) = LeafMap.Pair(parameters, grads, "Momentum");
        var k = new Kernel(Lr.At(state.Step), Mu, Dampening, Nesterov, WeightDecay, First: state.Step == 0);
        var r = LeafMap.Map(k, 2, "Momentum", ["parameters", "gradients", "momentum buffers"], p, g, state.MomentumBuffer);
        return (Tree.Rebuild(parameters, r[0]), new MomentumState(state.Step + 1, r[1]));
    }

    private readonly record struct Kernel(double Lr, double Mu, double Dampening, bool Nesterov, double WeightDecay, bool First) : ILeafKernel
    {
        public void Apply<T>(T[][] x, T[][] y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = x[0], g = x[1], buf = x[2], p1 = y[0], buf1 = y[1];
            int n = p.Length;
            var scratch = LeafMap.Rent<T>(n);
            try
            {
                var d = scratch.AsSpan(0, n);
                if (WeightDecay != 0) TensorPrimitives.FusedMultiplyAdd(p, T.CreateChecked(WeightDecay), g, d);
                else g.AsSpan().CopyTo(d);
                if (First) d.CopyTo(buf1);
                else
                {
                    TensorPrimitives.Multiply(d, T.CreateChecked(1 - Dampening), buf1);
                    TensorPrimitives.FusedMultiplyAdd(buf, T.CreateChecked(Mu), buf1, buf1);
                }
                if (Nesterov) TensorPrimitives.FusedMultiplyAdd(buf1, T.CreateChecked(Mu), d, d);
                else buf1.AsSpan().CopyTo(d);
                TensorPrimitives.FusedMultiplyAdd(d, T.CreateChecked(-Lr), p, p1);
            }
            finally { LeafMap.Return(scratch); }
        }
    }
}

/// <summary>The state of <see cref="Momentum"/>.</summary>
/// <param name="Step">Number of updates applied so far.</param>
/// <param name="MomentumBuffer">The velocity of each parameter leaf (PyTorch's <c>momentum_buffer</c>).</param>
public sealed record MomentumState(int Step, ImmutableArray<Tensor> MomentumBuffer) : IOptimizerState<MomentumState>
{
    /// <inheritdoc/>
    public IReadOnlyList<(string Slot, ImmutableArray<Tensor> Leaves)> Slots => [("momentum_buffer", MomentumBuffer)];

    /// <inheritdoc/>
    public static IReadOnlyList<string> SlotNames => ["momentum_buffer"];

    /// <inheritdoc/>
    public static MomentumState FromSlots(int step, IReadOnlyList<ImmutableArray<Tensor>> slots) => new(step, slots[0]);
}
