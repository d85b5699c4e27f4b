using static Autograd.Ops;

namespace Autograd.Nn;

/// <summary>
/// A gated recurrent unit, PyTorch's <c>nn.GRUCell</c>, as an immutable parameter record with a pure step.
/// Gate blocks are stacked in PyTorch's order r, z, n, and r multiplies the whole hidden-side term of n, its bias included:
/// <code>
/// r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h,   y = h'
/// </code>
/// with x [B, D], h [B, H], W_ih [3H, D], W_hh [3H, H], b_ih, b_hh [3H] (absent when created without bias).
/// </summary>
/// <param name="WeightIh">W_ih [3H, D] (<c>weight_ih</c>).</param>
/// <param name="WeightHh">W_hh [3H, H] (<c>weight_hh</c>).</param>
/// <param name="BiasIh">b_ih [3H] (<c>bias_ih</c>), or null.</param>
/// <param name="BiasHh">b_hh [3H] (<c>bias_hh</c>), or null.</param>
public sealed record GruCell(Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) : IRecurrentCell<Tensor>
{
    /// <inheritdoc/>
    public int InputSize => WeightIh.Shape[1];

    /// <inheritdoc/>
    public int HiddenSize => WeightHh.Shape[1];

    /// <summary>A cell with PyTorch's initialization: every parameter U(−1/√H, 1/√H), drawn from <paramref name="rng"/>
    /// in the order weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    public static GruCell Create(int inputSize, int hiddenSize, Random rng, DType dtype = DType.Float32, bool bias = true)
    {
        var (wih, whh, bih, bhh) = CellParameters.Create(3, inputSize, hiddenSize, rng, dtype, bias, nameof(GruCell));
        return new GruCell(wih, whh, bih, bhh);
    }

    /// <summary>A cell from PyTorch-named tensors <c>weight_ih{suffix}</c>, <c>weight_hh{suffix}</c> and optionally
    /// <c>bias_ih{suffix}</c>, <c>bias_hh{suffix}</c>.</summary>
    public static GruCell FromNamedParameters(IReadOnlyDictionary<string, Tensor> parameters, string suffix = "")
    {
        var (wih, whh, bih, bhh) = CellParameters.FromNamed(parameters, suffix, 3, nameof(GruCell));
        return new GruCell(wih, whh, bih, bhh);
    }

    /// <summary>One GRU step (equations on <see cref="GruCell"/>); the output is h'.</summary>
    public (Tensor Carry, Tensor Y) Step(Tensor h, Tensor x)
    {
        CellParameters.CheckStepInput(h, x, InputSize, HiddenSize, nameof(GruCell));
        return StepProjected(h, ProjectInput(x));
    }

    /// <inheritdoc/>
    public Tensor ProjectInput(Tensor x)
    {
        CellParameters.CheckInput(x, InputSize, nameof(GruCell));
        return Affine(x, WeightIh, BiasIh);
    }

    /// <summary>One GRU step from xp = W_ih x + b_ih [B, 3H] (a row of <see cref="ProjectInput"/>).</summary>
    public (Tensor Carry, Tensor Y) StepProjected(Tensor h, Tensor xProjected)
    {
        CellParameters.CheckStep(h, xProjected, 3, HiddenSize, nameof(GruCell));
        var gi = Chunk(xProjected, 3, axis: -1);
        var gh = Chunk(Affine(h, WeightHh, BiasHh), 3, axis: -1);
        var r = Sigmoid(gi[0] + gh[0]);
        var z = Sigmoid(gi[1] + gh[1]);
        var n = Tanh(gi[2] + r * gh[2]);
        var h1 = (1.0 - z) * n + z * h;
        return (h1, h1);
    }

    /// <summary>Zeros [B, H] of the cell's dtype: the default initial state.</summary>
    public Tensor ZeroState(int batchSize) => Tensor.Zeros(Shape.Of(batchSize, HiddenSize), WeightHh.DType);

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Value)> NamedParameters() => CellParameters.Named(WeightIh, WeightHh, BiasIh, BiasHh);
}
