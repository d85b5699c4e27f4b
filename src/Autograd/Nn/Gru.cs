using System.Collections.Immutable;

namespace Autograd.Nn;

/// <summary>
/// A multi-layer, optionally bidirectional GRU matching PyTorch's <c>nn.GRU</c>: a record of <see cref="GruCell"/>s,
/// cell k = l·ND + d for layer l and direction d (layout on <see cref="RecurrentOptions"/>). Each direction of each
/// layer is one <see cref="Ops.GruSequence"/> node, equal to a scan of its cell's <see cref="GruCell.StepProjected"/>.
/// </summary>
/// <param name="Cells">The cells, L·ND of them; layer 0 takes D inputs, later layers ND·H.</param>
/// <param name="Options">Layers, directions, batch layout and dropout; carried, not differentiated.</param>
public sealed record Gru(ImmutableArray<GruCell> Cells, [property: NonDifferentiable] RecurrentOptions Options)
{
    /// <summary>D, the input features of layer 0.</summary>
    public int InputSize => Cells[0].InputSize;

    /// <summary>H, the hidden features of every cell.</summary>
    public int HiddenSize => Cells[0].HiddenSize;

    /// <summary>A layer with PyTorch's initialization, every parameter U(−1/√H, 1/√H), drawn in named-parameter order.</summary>
    public static Gru Create(int inputSize, int hiddenSize, Random rng, RecurrentOptions? options = null, DType dtype = DType.Float32, bool bias = true)
    {
        var o = options ?? new RecurrentOptions();
        RecurrentStack.Validate(o, nameof(Gru));
        return new Gru(RecurrentStack.Cells(o, k => GruCell.Create(k < o.NumDirections ? inputSize : o.NumDirections * hiddenSize, hiddenSize, rng, dtype, bias)), o);
    }

    /// <summary>A layer from PyTorch's <c>named_parameters()</c> (<c>weight_ih_l{k}[_reverse]</c>, ...); the number of
    /// layers and the directions are read from the names.</summary>
    public static Gru FromNamedParameters(IReadOnlyDictionary<string, Tensor> parameters, bool batchFirst = false, double dropout = 0)
    {
        var o = RecurrentStack.OptionsFromNames(parameters, batchFirst, dropout, nameof(Gru));
        var layer = new Gru(RecurrentStack.Cells(o, k => GruCell.FromNamedParameters(parameters, RecurrentStack.Suffix(k, o.NumDirections))), o);
        RecurrentStack.CheckChain<Tensor>(layer.Cells.Cast<IRecurrentCell<Tensor>>().ToList(), o, nameof(Gru));
        return layer;
    }

    /// <summary>The parameters with PyTorch's names, in <c>named_parameters()</c> order.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> NamedParameters() =>
        [.. Cells.SelectMany((c, k) => c.NamedParameters().Select(p => (p.Name + RecurrentStack.Suffix(k, Options.NumDirections), p.Value)))];

    /// <summary>
    /// Runs the stack over x [T, B, D] ([B, T, D] when <see cref="RecurrentOptions.BatchFirst"/>) from h0 [L·ND, B, H]
    /// (zeros when omitted). Returns output [T, B, ND·H] (the last layer's h at every step, forward then reverse
    /// features) and h_n [L·ND, B, H]. Dropout between layers uses <paramref name="dropoutRng"/>; without it there is none.
    /// </summary>
    public (Tensor Output, Tensor HN) Forward(Tensor x, Tensor? h0 = null, Random? dropoutRng = null)
    {
        var dtype = Cells[0].WeightHh.DType;
        var (output, finals) = RecurrentStack.Run<GruCell, Tensor>(Cells, Options, x,
            (k, b) => RecurrentStack.State(h0, "h0", k, b, Cells.Length, HiddenSize, dtype, nameof(Gru)), dropoutRng, nameof(Gru),
            static (cell, x, s0, reverse) =>
            {
                var (ys, h) = Ops.GruSequence(cell.ProjectInput(x), s0, cell.WeightHh, cell.BiasHh, reverse);
                return (h, ys);
            });
        return (output, Ops.Stack(finals));
    }
}
