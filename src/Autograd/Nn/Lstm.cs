using System.Collections.Immutable;

namespace Autograd.Nn;

/// <summary>
/// A multi-layer, optionally bidirectional LSTM matching PyTorch's <c>nn.LSTM</c>: a record of
/// <see cref="LstmCell"/>s, cell k = l·ND + d for layer l and direction d (layout on <see cref="RecurrentOptions"/>).
/// Each direction of each layer is one <see cref="Ops.LstmSequence(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?, bool)"/> node, equal to a scan of its cell's
/// <see cref="LstmCell.StepProjected"/>.
/// </summary>
/// <param name="Cells">The cells, L·ND of them; layer 0 takes D inputs, later layers ND·H.</param>
/// <param name="Options">Layers, directions, batch layout and dropout; carried, not differentiated.</param>
public sealed record Lstm(ImmutableArray<LstmCell> Cells, [property: NonDifferentiable] RecurrentOptions Options)
{
    /// <summary>D, the input features of layer 0.</summary>
    public int InputSize => Cells[0].InputSize;

    /// <summary>H, the hidden features of every cell.</summary>
    public int HiddenSize => Cells[0].HiddenSize;

    /// <summary>A layer with PyTorch's initialization, every parameter U(−1/√H, 1/√H), drawn in named-parameter order.</summary>
    public static Lstm Create(int inputSize, int hiddenSize, Random rng, RecurrentOptions? options = null, DType dtype = DType.Float32, bool bias = true)
    {
        var o = options ?? new RecurrentOptions();
        RecurrentStack.Validate(o, nameof(Lstm));
        return new Lstm(RecurrentStack.Cells(o, k => LstmCell.Create(k < o.NumDirections ? inputSize : o.NumDirections * hiddenSize, hiddenSize, rng, dtype, bias)), o);
    }

    /// <summary>A layer from PyTorch's <c>named_parameters()</c> (<c>weight_ih_l{k}[_reverse]</c>, ...); the number of
    /// layers and the directions are read from the names.</summary>
    public static Lstm FromNamedParameters(IReadOnlyDictionary<string, Tensor> parameters, bool batchFirst = false, double dropout = 0)
    {
        var o = RecurrentStack.OptionsFromNames(parameters, batchFirst, dropout, nameof(Lstm));
        var layer = new Lstm(RecurrentStack.Cells(o, k => LstmCell.FromNamedParameters(parameters, RecurrentStack.Suffix(k, o.NumDirections))), o);
        RecurrentStack.CheckChain<LstmState>(layer.Cells.Cast<IRecurrentCell<LstmState>>().ToList(), o, nameof(Lstm));
        return layer;
    }

    /// <summary>The parameters with PyTorch's names, in <c>named_parameters()</c> order.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> NamedParameters() =>
        [.. Cells.SelectMany((c, k) => c.NamedParameters().Select(p => (p.Name + RecurrentStack.Suffix(k, Options.NumDirections), p.Value)))];

    /// <summary>
    /// Runs the stack over x [T, B, D] ([B, T, D] when <see cref="RecurrentOptions.BatchFirst"/>) from h0, c0
    /// [L·ND, B, H] (zeros when omitted). Returns output [T, B, ND·H] (the last layer's h at every step, forward then
    /// reverse features), h_n and c_n [L·ND, B, H]. Dropout between layers uses <paramref name="dropoutRng"/>; without it
    /// there is none (evaluation).
    /// </summary>
    public (Tensor Output, Tensor HN, Tensor CN) Forward(Tensor x, Tensor? h0 = null, Tensor? c0 = null, Random? dropoutRng = null)
    {
        if ((h0 is null) != (c0 is null)) throw new ArgumentException("Lstm: give both h0 and c0, or neither.");
        int count = Cells.Length;
        var dtype = Cells[0].WeightHh.DType;
        var (output, finals) = RecurrentStack.Run<LstmCell, LstmState>(Cells, Options, x, (k, b) => new LstmState(
            RecurrentStack.State(h0, "h0", k, b, count, HiddenSize, dtype, nameof(Lstm)),
            RecurrentStack.State(c0, "c0", k, b, count, HiddenSize, dtype, nameof(Lstm))), dropoutRng, nameof(Lstm),
            static (cell, x, s0, reverse) =>
            {
                var (ys, h, c) = Ops.LstmSequence(x, s0.H, s0.C, cell.WeightIh, cell.WeightHh, cell.BiasIh, cell.BiasHh, reverse);
                return (new LstmState(h, c), ys);
            });
        return (output, Ops.Stack(finals.Select(s => s.H).ToArray()), Ops.Stack(finals.Select(s => s.C).ToArray()));
    }
}
