using System.Collections.Immutable;

namespace Autograd.Optim;

/// <summary>
/// An optimizer as pure functions over any parameter tree P (see <see cref="Tree"/>):
/// <c>var state = opt.Init(p); (p, state) = opt.Step(p, grads, state);</c>. Nothing is mutated: each step returns new
/// parameters and a new state. Implementations are immutable records of hyperparameters.
/// </summary>
/// <typeparam name="TState">The optimizer's immutable state record.</typeparam>
public interface IOptimizer<TState> where TState : IOptimizerState
{
    /// <summary>The state before the first update (step 0, zero moments shaped like each parameter leaf).</summary>
    TState Init<P>(P parameters);

    /// <summary>One update: new parameters and state from the parameters, their gradients (same tree type) and the state.</summary>
    (P Params, TState State) Step<P>(P parameters, P grads, TState state);
}

/// <summary>What every optimizer state exposes: the number of updates done and its per-leaf tensors by slot name
/// (e.g. Adam's <c>m</c> and <c>v</c>), each in <see cref="Tree.Flatten"/> order of the parameters; checkpoints
/// save them as <c>optim.&lt;slot&gt;.&lt;parameter name&gt;</c>.</summary>
public interface IOptimizerState
{
    /// <summary>Number of updates applied so far.</summary>
    int Step { get; }

    /// <summary>The per-leaf tensors by slot name, in a fixed order.</summary>
    IReadOnlyList<(string Slot, ImmutableArray<Tensor> Leaves)> Slots { get; }
}

/// <summary>An optimizer state that can be rebuilt from its slots (loading a checkpoint).</summary>
/// <typeparam name="TSelf">The state type itself.</typeparam>
public interface IOptimizerState<TSelf> : IOptimizerState where TSelf : IOptimizerState<TSelf>
{
    /// <summary>The names of the slots this state type holds, in order.</summary>
    static abstract IReadOnlyList<string> SlotNames { get; }

    /// <summary>A state from a step count and one leaf list per name in <see cref="SlotNames"/>.</summary>
    static abstract TSelf FromSlots(int step, IReadOnlyList<ImmutableArray<Tensor>> slots);
}
