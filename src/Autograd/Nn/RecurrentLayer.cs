using System.Collections.Immutable;
using static Autograd.Ops;

namespace Autograd.Nn;

/// <summary>The structure of a stacked recurrent layer (PyTorch's constructor arguments other than the sizes).</summary>
/// <param name="NumLayers">L, the number of stacked layers; layer l ≥ 1 consumes layer l−1's output sequence.</param>
/// <param name="Bidirectional">Run a reverse direction (t = T−1..0) beside the forward one in every layer.</param>
/// <param name="BatchFirst">Input and output are [B, T, ..] instead of [T, B, ..] (h0, c0, h_n, c_n stay [L·ND, B, H]).</param>
/// <param name="Dropout">Dropout probability on every layer's output except the last; applied only when a generator is
/// passed to <c>Forward</c> (training), never otherwise. 0 = off.</param>
public sealed record RecurrentOptions(int NumLayers = 1, bool Bidirectional = false, bool BatchFirst = false, double Dropout = 0)
{
    /// <summary>ND: 2 when bidirectional, else 1.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;
}

/// <summary>
/// The algorithm shared by <see cref="Rnn"/>, <see cref="Lstm"/> and <see cref="Gru"/> (PyTorch's layout): cell k =
/// l·ND + d is layer l, direction d. Direction 0 runs t = 0..T−1 from initial state k; direction 1 runs t = T−1..0 and
/// stores its state after consuming x_t at position t. A layer's output at t is concat(fwd_t, rev_t) on features; it
/// is the next layer's input (after dropout) and, for the last layer, the output [T, B, ND·H]. Final state k is
/// direction d's state after its last step.
/// </summary>
internal static class RecurrentStack
{
    /// <summary>Whether <see cref="Run"/> uses the sequence primitives it is given; benchmarks switch it off for
    /// same-process A/B runs against the per-step scan.</summary>
    internal static bool FusedSequences = true;

    /// <summary>Runs the stack. <paramref name="sequence"/>, when given, replaces the scan of one direction of one layer:
    /// (cell, the layer's input [T, B, D], initial carry, reverse) → (final carry, outputs [T, B, H]), a fused primitive
    /// equal to scanning <c>StepProjected</c> over the cell's projection of the input.</summary>
    public static (Tensor Output, TCarry[] Finals) Run<TCell, TCarry>(ImmutableArray<TCell> cells, RecurrentOptions options, Tensor x,
        Func<int, int, TCarry> initial, Random? dropoutRng, string layer,
        Func<TCell, Tensor, TCarry, bool, (TCarry Final, Tensor Ys)>? sequence = null)
        where TCell : IRecurrentCell<TCarry>
    {
        int d0 = cells[0].InputSize;
        if (x.Rank != 3 || x.Shape[2] != d0)
        {
            string expected = x.Rank == 3 ? $"[{x.Shape[0]}, {x.Shape[1]}, {d0}]" : options.BatchFirst ? $"[B, T, {d0}]" : $"[T, B, {d0}]";
            throw new ShapeMismatchException($"{layer}: the input has shape {x.Shape}, expected {expected} ({(options.BatchFirst ? "[B, T, D]" : "[T, B, D]")} with D = {d0}).");
        }
        if (options.BatchFirst) x = Transpose(x, 0, 1);
        int batch = x.Shape[1], nd = options.NumDirections;
        var finals = new TCarry[cells.Length];
        var input = x;
        for (int l = 0; l < options.NumLayers; l++)
        {
            var outs = new Tensor[nd];
            for (int d = 0; d < nd; d++)
            {
                int k = l * nd + d;
                var cell = cells[k];
                // PERF: the whole recurrence as one node (see LstmSequence); the scan records several nodes per step.
                if (sequence is not null && FusedSequences && x.Shape[0] > 0)
                    (finals[k], outs[d]) = sequence(cell, input, initial(k, batch), d == 1);
                else
                {
                    // PERF: the input side of all T steps is one GEMM over [T·B, D]; only W_hh h runs inside the loop.
                    var projected = cell.ProjectInput(input);
                    var r = projected.Scan(initial(k, batch), cell.StepProjected, new ScanOptions(Reverse: d == 1));
                    (finals[k], outs[d]) = (r.Final, r.Ys);
                }
            }
            input = nd == 1 ? outs[0] : Concat(outs, axis: 2);
            if (l < options.NumLayers - 1 && options.Dropout > 0 && dropoutRng is not null) input = Dropout(input, options.Dropout, dropoutRng);
        }
        return (options.BatchFirst ? Transpose(input, 0, 1) : input, finals);
    }

    /// <summary>Entry k of an initial state [L·ND, B, H], or zeros when it is omitted.</summary>
    public static Tensor State(Tensor? s0, string name, int k, int batch, int count, int hidden, DType dtype, string layer)
    {
        if (s0 is null) return Tensor.Zeros(Shape.Of(batch, hidden), dtype);
        if (s0.Rank != 3 || s0.Shape[0] != count || s0.Shape[1] != batch || s0.Shape[2] != hidden)
            throw new ShapeMismatchException($"{layer}: {name} has shape {s0.Shape}, expected [L*ND, B, H] = [{count}, {batch}, {hidden}].");
        return Index(s0, k);
    }

    /// <summary>PyTorch's name suffix of cell k: <c>_l{l}</c>, plus <c>_reverse</c> for direction 1.</summary>
    public static string Suffix(int k, int nd) => $"_l{k / nd}{(k % nd == 1 ? "_reverse" : "")}";

    /// <summary>L and bidirectionality read from PyTorch names (<c>weight_ih_l{k}</c>, <c>weight_ih_l0_reverse</c>).</summary>
    public static RecurrentOptions OptionsFromNames(IReadOnlyDictionary<string, Tensor> p, bool batchFirst, double dropout, string layer)
    {
        int layers = 0;
        while (p.ContainsKey($"weight_ih_l{layers}")) layers++;
        if (layers == 0) throw new KeyNotFoundException($"{layer}: no parameter named 'weight_ih_l0'; given: {string.Join(", ", p.Keys)}.");
        var options = new RecurrentOptions(layers, p.ContainsKey("weight_ih_l0_reverse"), batchFirst, dropout);
        Validate(options, layer);
        return options;
    }

    public static ImmutableArray<TCell> Cells<TCell>(RecurrentOptions o, Func<int, TCell> make) =>
        [.. Enumerable.Range(0, o.NumLayers * o.NumDirections).Select(make)];

    /// <summary>The cells' shapes must chain: every cell has one H, layer 0 takes D, later layers take ND·H.</summary>
    public static void CheckChain<TCarry>(IReadOnlyList<IRecurrentCell<TCarry>> cells, RecurrentOptions o, string layer)
    {
        int nd = o.NumDirections;
        if (cells.Count != o.NumLayers * nd)
            throw new ArgumentException($"{layer}: {cells.Count} cells given for {o.NumLayers} layers × {nd} directions.");
        int h = cells[0].HiddenSize;
        for (int k = 0; k < cells.Count; k++)
        {
            int expected = k < nd ? cells[0].InputSize : nd * h;
            if (cells[k].HiddenSize != h || cells[k].InputSize != expected)
                throw new ShapeMismatchException($"{layer}: cell {k} (layer {k / nd}) has input size {cells[k].InputSize} and hidden size {cells[k].HiddenSize}, expected {expected} and {h}.");
        }
    }

    public static void Validate(RecurrentOptions o, string layer)
    {
        if (o.NumLayers < 1) throw new ArgumentOutOfRangeException(nameof(o), $"{layer}: NumLayers must be at least 1, got {o.NumLayers}.");
        if (o.Dropout < 0 || o.Dropout >= 1) throw new ArgumentOutOfRangeException(nameof(o), $"{layer}: Dropout must be in [0, 1), got {o.Dropout}.");
    }
}
