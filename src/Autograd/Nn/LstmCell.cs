using static Autograd.Ops;

namespace Autograd.Nn;

/// <summary>The carry of an LSTM: hidden state h and cell state c, both [B, H].</summary>
/// <param name="H">The hidden state h [B, H] (also the cell's output).</param>
/// <param name="C">The cell state c [B, H].</param>
public sealed record LstmState(Tensor H, Tensor C);

/// <summary>
/// A long short-term memory cell, PyTorch's <c>nn.LSTMCell</c>, as an immutable parameter record with a pure step.
/// Gate blocks are stacked in PyTorch's order i, f, g, o (rows k·H..(k+1)·H−1 of the weights and biases):
/// <code>
/// i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
/// g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
/// c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c'),   y = h'
/// </code>
/// with x [B, D], h, c [B, H], W_ih [4H, D], W_hh [4H, H], b_ih, b_hh [4H] (absent when created without bias).
/// </summary>
/// <param name="WeightIh">W_ih [4H, D] (<c>weight_ih</c>).</param>
/// <param name="WeightHh">W_hh [4H, H] (<c>weight_hh</c>).</param>
/// <param name="BiasIh">b_ih [4H] (<c>bias_ih</c>), or null.</param>
/// <param name="BiasHh">b_hh [4H] (<c>bias_hh</c>), or null.</param>
public sealed record LstmCell(Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) : IRecurrentCell<LstmState>
{
    /// <inheritdoc/>
    public int InputSize => WeightIh.Shape[1];

    /// <inheritdoc/>
    public int HiddenSize => WeightHh.Shape[1];

    /// <summary>A cell with PyTorch's initialization: every parameter U(−1/√H, 1/√H), drawn from <paramref name="rng"/>
    /// in the order weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    public static LstmCell Create(int inputSize, int hiddenSize, Random rng, DType dtype = DType.Float32, bool bias = true)
    {
        var (wih, whh, bih, bhh) = CellParameters.Create(4, inputSize, hiddenSize, rng, dtype, bias, nameof(LstmCell));
        return new LstmCell(wih, whh, bih, bhh);
    }

    /// <summary>A cell from PyTorch-named tensors <c>weight_ih{suffix}</c>, <c>weight_hh{suffix}</c> and optionally
    /// <c>bias_ih{suffix}</c>, <c>bias_hh{suffix}</c>.</summary>
    public static LstmCell FromNamedParameters(IReadOnlyDictionary<string, Tensor> parameters, string suffix = "")
    {
        var (wih, whh, bih, bhh) = CellParameters.FromNamed(parameters, suffix, 4, nameof(LstmCell));
        return new LstmCell(wih, whh, bih, bhh);
    }

    /// <summary>The same cell with the forget-gate biases set so that b_if + b_hf = <paramref name="value"/> (b_if =
    /// value, b_hf = 0): a cell that remembers by default. Requires biases.</summary>
    public LstmCell WithForgetGateBias(double value)
    {
        if (BiasIh is null || BiasHh is null) throw new InvalidOperationException("LstmCell.WithForgetGateBias: the cell has no biases.");
        return this with { BiasIh = Initializers.ForgetGateBias(BiasIh, value), BiasHh = Initializers.ForgetGateBias(BiasHh, 0) };
    }

    /// <summary>One LSTM step (equations on <see cref="LstmCell"/>); the output is h'.</summary>
    public (LstmState Carry, Tensor Y) Step(LstmState state, Tensor x)
    {
        CellParameters.CheckStepInput(state.H, x, InputSize, HiddenSize, nameof(LstmCell));
        return StepProjected(state, ProjectInput(x));
    }

    /// <inheritdoc/>
    public Tensor ProjectInput(Tensor x)
    {
        CellParameters.CheckInput(x, InputSize, nameof(LstmCell));
        return Affine(x, WeightIh, BiasIh);
    }

    /// <summary>One LSTM step from xp = W_ih x + b_ih [B, 4H] (a row of <see cref="ProjectInput"/>).</summary>
    public (LstmState Carry, Tensor Y) StepProjected(LstmState state, Tensor xProjected)
    {
        CellParameters.CheckStep(state.H, xProjected, 4, HiddenSize, nameof(LstmCell));
        // c of another shape than h could broadcast (c [1, H] against h [B, H]) and silently make a wrong state.
        if (!state.C.Shape.Equals(state.H.Shape))
            throw new ShapeMismatchException($"LstmCell: the cell state c has shape {state.C.Shape} but the hidden state h has shape {state.H.Shape}; expected both [B, {HiddenSize}].");
        // PERF: the gate arithmetic (σ, tanh, c', h') is one fused node; ComposedStep spells out the same equations.
        var (h1, c1) = LstmGates(xProjected, Affine(state.H, WeightHh, BiasHh), state.C);
        return (new LstmState(h1, c1), h1);
    }

    /// <summary><see cref="StepProjected"/> written from elementary ops (about fifteen nodes per step) instead of the
    /// fused <see cref="Ops.LstmGates(Tensor, Tensor?, Tensor)"/>: the reference the fused step is tested against.</summary>
    public (LstmState Carry, Tensor Y) ComposedStep(LstmState state, Tensor xProjected)
    {
        CellParameters.CheckStep(state.H, xProjected, 4, HiddenSize, nameof(LstmCell));
        var gates = Chunk(xProjected + Affine(state.H, WeightHh, BiasHh), 4, axis: -1);
        Tensor i = Sigmoid(gates[0]), f = Sigmoid(gates[1]), g = Tanh(gates[2]), o = Sigmoid(gates[3]);
        var c1 = f * state.C + i * g;
        var h1 = o * Tanh(c1);
        return (new LstmState(h1, c1), h1);
    }

    /// <summary>Zeros h and c [B, H] of the cell's dtype: the default initial state.</summary>
    public LstmState ZeroState(int batchSize)
    {
        var z = Tensor.Zeros(Shape.Of(batchSize, HiddenSize), WeightHh.DType);
        return new LstmState(z, z);
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Value)> NamedParameters() => CellParameters.Named(WeightIh, WeightHh, BiasIh, BiasHh);
}
