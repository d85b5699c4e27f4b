using static Autograd.Ops;

namespace Autograd.Nn;

/// <summary>The activation of an Elman RNN (PyTorch's <c>nonlinearity</c>).</summary>
public enum RnnNonlinearity
{
    /// <summary>tanh (PyTorch's default).</summary>
    Tanh,

    /// <summary>max(x, 0), with derivative 0 at 0.</summary>
    Relu,
}

/// <summary>
/// An Elman RNN cell, PyTorch's <c>nn.RNNCell</c>, as an immutable parameter record with a pure step:
/// <code>h' = act(W_ih x + b_ih + W_hh h + b_hh),   y = h'</code>
/// with x [B, D], h [B, H], W_ih [H, D], W_hh [H, H], b_ih, b_hh [H] (absent when created without bias) and act = tanh
/// or relu. <see cref="Step"/> plugs straight into <see cref="ScanExtensions"/>: <c>xs.Scan(h0, cell.Step)</c>.
/// </summary>
/// <param name="WeightIh">W_ih [H, D] (<c>weight_ih</c>).</param>
/// <param name="WeightHh">W_hh [H, H] (<c>weight_hh</c>).</param>
/// <param name="BiasIh">b_ih [H] (<c>bias_ih</c>), or null.</param>
/// <param name="BiasHh">b_hh [H] (<c>bias_hh</c>), or null.</param>
/// <param name="Nonlinearity">The activation; carried, not differentiated.</param>
public sealed record RnnCell(Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh,
    [property: NonDifferentiable] RnnNonlinearity Nonlinearity = RnnNonlinearity.Tanh) : IRecurrentCell<Tensor>
{
    /// <inheritdoc/>
    public int InputSize => WeightIh.Shape[1];

    /// <inheritdoc/>
    public int HiddenSize => WeightHh.Shape[1];

    /// <summary>A cell with PyTorch's initialization: every parameter U(−1/√H, 1/√H), drawn from <paramref name="rng"/>
    /// in the order weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    public static RnnCell Create(int inputSize, int hiddenSize, Random rng, DType dtype = DType.Float32, bool bias = true,
        RnnNonlinearity nonlinearity = RnnNonlinearity.Tanh)
    {
        var (wih, whh, bih, bhh) = CellParameters.Create(1, inputSize, hiddenSize, rng, dtype, bias, nameof(RnnCell));
        return new RnnCell(wih, whh, bih, bhh, nonlinearity);
    }

    /// <summary>A cell from PyTorch-named tensors <c>weight_ih{suffix}</c>, <c>weight_hh{suffix}</c> and optionally
    /// <c>bias_ih{suffix}</c>, <c>bias_hh{suffix}</c> (a layer's suffix is e.g. <c>_l1_reverse</c>).</summary>
    public static RnnCell FromNamedParameters(IReadOnlyDictionary<string, Tensor> parameters, RnnNonlinearity nonlinearity = RnnNonlinearity.Tanh, string suffix = "")
    {
        var (wih, whh, bih, bhh) = CellParameters.FromNamed(parameters, suffix, 1, nameof(RnnCell));
        return new RnnCell(wih, whh, bih, bhh, nonlinearity);
    }

    /// <summary>h' = act(W_ih x + b_ih + W_hh h + b_hh); the output is h'.</summary>
    public (Tensor Carry, Tensor Y) Step(Tensor h, Tensor x)
    {
        CellParameters.CheckStepInput(h, x, InputSize, HiddenSize, nameof(RnnCell));
        return StepProjected(h, ProjectInput(x));
    }

    /// <inheritdoc/>
    public Tensor ProjectInput(Tensor x)
    {
        CellParameters.CheckInput(x, InputSize, nameof(RnnCell));
        return Affine(x, WeightIh, BiasIh);
    }

    /// <summary>h' = act(xp + W_hh h + b_hh) for xp = W_ih x + b_ih from <see cref="ProjectInput"/>.</summary>
    public (Tensor Carry, Tensor Y) StepProjected(Tensor h, Tensor xProjected)
    {
        CellParameters.CheckStep(h, xProjected, 1, HiddenSize, nameof(RnnCell));
        var pre = xProjected + Affine(h, WeightHh, BiasHh);
        var h1 = Nonlinearity == RnnNonlinearity.Relu ? Relu(pre) : Tanh(pre);
        return (h1, h1);
    }

    /// <summary>Zeros [B, H] of the cell's dtype: the default initial state.</summary>
    public Tensor ZeroState(int batchSize) => Tensor.Zeros(Shape.Of(batchSize, HiddenSize), WeightHh.DType);

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Value)> NamedParameters() => CellParameters.Named(WeightIh, WeightHh, BiasIh, BiasHh);
}
