using static Autograd.Ops;

namespace Autograd.Nn;

/// <summary>
/// Recurrent weights in the input-major, one-bias layout of CS231n (assignment 3, <c>rnn_layers.py</c>) and of
/// "Deep Learning from Scratch 2" (<c>common/time_layers.py</c>): the pre-activations of a step are
/// <c>a = x @ Wx + h @ Wh + b</c> with the gate blocks side by side along the last axis.
/// </summary>
/// <param name="Wx">Wx [D, G·H]: block k is columns k·H..(k+1)·H−1.</param>
/// <param name="Wh">Wh [H, G·H].</param>
/// <param name="B">b [G·H]: one bias (PyTorch has two, b_ih and b_hh, whose sum plays its part).</param>
public sealed record InputMajorWeights(Tensor Wx, Tensor Wh, Tensor B);

/// <summary>
/// Converts recurrent weights between PyTorch's layout (<see cref="RnnCell"/>, <see cref="LstmCell"/>) and the
/// input-major one-bias layouts of two textbooks (<see cref="InputMajorWeights"/>). Gate orders:
/// <code>
/// PyTorch (LstmCell)   W_ih [4H, D], W_hh [4H, H], b_ih, b_hh [4H]   rows in blocks  i, f, g, o
/// CS231n LSTM          Wx [D, 4H],   Wh [H, 4H],   b [4H]            columns         i, f, o, g
/// DLFS2 LSTM           Wx [D, 4H],   Wh [H, 4H],   b [4H]            columns         f, g, i, o
/// PyTorch (RnnCell)    W_ih [H, D],  W_hh [H, H],  b_ih, b_hh [H]
/// CS231n / DLFS2 RNN   Wx [D, H],    Wh [H, H],    b [H]             h' = tanh(x Wx + h Wh + b)
/// </code>
/// The equations are the same in every layout (c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c')); only the storage differs.
/// Converting to a one-bias layout stores b = b_ih + b_hh (zeros for a cell without bias); converting from one puts b
/// into b_ih and zeros into b_hh, so one-bias → PyTorch → one-bias is exact. The conversions are built from
/// <see cref="Ops.Slice"/>, <see cref="Ops.Concat(IReadOnlyList{Tensor}, int)"/> and <see cref="Ops.Transpose"/>: they copy values exactly,
/// keep the dtype, and are differentiable. DLFS2's GRU has no converter: it applies r before the hidden matmul,
/// tanh(x Wx + (r ⊙ h) Wh), and has no biases, while PyTorch's <see cref="GruCell"/> computes
/// tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); no choice of weights makes the two equal in general.
/// </summary>
public static class LayoutConverters
{
    // Block k of a layout holds PyTorch's block Order[k] (PyTorch: i = 0, f = 1, g = 2, o = 3).
    private static readonly int[] Cs231nLstmOrder = [0, 1, 3, 2];   // i, f, o, g
    private static readonly int[] Dlfs2LstmOrder = [1, 2, 0, 3];    // f, g, i, o

    /// <summary>An <see cref="LstmCell"/> as CS231n's <c>lstm_step_forward</c> weights: Wx [D, 4H], Wh [H, 4H], b [4H]
    /// in gate order i, f, o, g, with b = b_ih + b_hh.</summary>
    public static InputMajorWeights ToCs231nLstm(LstmCell cell) => ToInputMajor(cell.WeightIh, cell.WeightHh, cell.BiasIh, cell.BiasHh, Cs231nLstmOrder);

    /// <summary>An <see cref="LstmCell"/> from CS231n's weights Wx [D, 4H], Wh [H, 4H], b [4H] (gate order i, f, o, g):
    /// b_ih = b, b_hh = 0.</summary>
    public static LstmCell FromCs231nLstm(InputMajorWeights weights)
    {
        var (wih, whh, bih, bhh) = FromInputMajor(weights, 4, Cs231nLstmOrder, nameof(FromCs231nLstm));
        return new LstmCell(wih, whh, bih, bhh);
    }

    /// <summary>An <see cref="LstmCell"/> as DLFS2's <c>LSTM</c> weights: Wx [D, 4H], Wh [H, 4H], b [4H] in gate order
    /// f, g, i, o, with b = b_ih + b_hh.</summary>
    public static InputMajorWeights ToDlfs2Lstm(LstmCell cell) => ToInputMajor(cell.WeightIh, cell.WeightHh, cell.BiasIh, cell.BiasHh, Dlfs2LstmOrder);

    /// <summary>An <see cref="LstmCell"/> from DLFS2's weights Wx [D, 4H], Wh [H, 4H], b [4H] (gate order f, g, i, o):
    /// b_ih = b, b_hh = 0.</summary>
    public static LstmCell FromDlfs2Lstm(InputMajorWeights weights)
    {
        var (wih, whh, bih, bhh) = FromInputMajor(weights, 4, Dlfs2LstmOrder, nameof(FromDlfs2Lstm));
        return new LstmCell(wih, whh, bih, bhh);
    }

    /// <summary>An <see cref="RnnCell"/> as the vanilla RNN weights of CS231n (<c>rnn_step_forward</c>) and DLFS2
    /// (<c>RNN</c>), which share one layout: Wx = W_ihᵀ [D, H], Wh = W_hhᵀ [H, H], b = b_ih + b_hh [H]. Both books use
    /// tanh; the cell's nonlinearity is not part of the weights.</summary>
    public static InputMajorWeights ToCs231nRnn(RnnCell cell) => ToInputMajor(cell.WeightIh, cell.WeightHh, cell.BiasIh, cell.BiasHh, [0]);

    /// <summary>An <see cref="RnnCell"/> from CS231n's or DLFS2's vanilla RNN weights Wx [D, H], Wh [H, H], b [H]:
    /// W_ih = Wxᵀ, W_hh = Whᵀ, b_ih = b, b_hh = 0.</summary>
    public static RnnCell FromCs231nRnn(InputMajorWeights weights, RnnNonlinearity nonlinearity = RnnNonlinearity.Tanh)
    {
        var (wih, whh, bih, bhh) = FromInputMajor(weights, 1, [0], nameof(FromCs231nRnn));
        return new RnnCell(wih, whh, bih, bhh, nonlinearity);
    }

    // PyTorch [G·H, n] blocks of rows → [n, G·H] blocks of columns in the layout's order.
    private static Tensor RowsToColumns(Tensor w, int[] order)
    {
        int h = w.Shape[0] / order.Length;
        var blocks = order.Select(k => Transpose(Slice(w, 0, k * h, (k + 1) * h), 0, 1)).ToArray();
        return blocks.Length == 1 ? blocks[0] : Concat(blocks, axis: 1);
    }

    // The inverse: [n, G·H] column blocks in the layout's order → PyTorch [G·H, n] row blocks i, f, g, o.
    private static Tensor ColumnsToRows(Tensor w, int[] order)
    {
        int h = w.Shape[1] / order.Length;
        var blocks = new Tensor[order.Length];
        for (int k = 0; k < order.Length; k++) blocks[order[k]] = Transpose(Slice(w, 1, k * h, (k + 1) * h), 0, 1);
        return blocks.Length == 1 ? blocks[0] : Concat(blocks, axis: 0);
    }

    private static Tensor Reorder(Tensor b, int[] order)
    {
        int h = b.Shape[0] / order.Length;
        var blocks = order.Select(k => Slice(b, 0, k * h, (k + 1) * h)).ToArray();
        return blocks.Length == 1 ? blocks[0] : Concat(blocks, axis: 0);
    }

    private static Tensor Unorder(Tensor b, int[] order)
    {
        int h = b.Shape[0] / order.Length;
        var blocks = new Tensor[order.Length];
        for (int k = 0; k < order.Length; k++) blocks[order[k]] = Slice(b, 0, k * h, (k + 1) * h);
        return blocks.Length == 1 ? blocks[0] : Concat(blocks, axis: 0);
    }

    private static InputMajorWeights ToInputMajor(Tensor wih, Tensor whh, Tensor? bih, Tensor? bhh, int[] order)
    {
        var bias = bih is null || bhh is null ? Tensor.Zeros(Shape.Of(wih.Shape[0]), whh.DType) : bih + bhh;
        return new InputMajorWeights(RowsToColumns(wih, order), RowsToColumns(whh, order), Reorder(bias, order));
    }

    private static (Tensor WeightIh, Tensor WeightHh, Tensor BiasIh, Tensor BiasHh) FromInputMajor(InputMajorWeights w, int gates, int[] order, string op)
    {
        ArgumentNullException.ThrowIfNull(w);
        string g = gates == 1 ? "H" : $"{gates}H";
        if (w.Wh.Rank != 2 || w.Wh.Shape[1] != gates * w.Wh.Shape[0])
            throw new ShapeMismatchException($"LayoutConverters.{op}: Wh has shape {w.Wh.Shape}, expected [H, {g}].");
        int h = w.Wh.Shape[0];
        if (w.Wx.Rank != 2 || w.Wx.Shape[1] != gates * h)
            throw new ShapeMismatchException($"LayoutConverters.{op}: Wx has shape {w.Wx.Shape}, expected [D, {gates * h}] ({g} columns for H = {h} from Wh {w.Wh.Shape}).");
        if (w.B.Rank != 1 || w.B.Shape[0] != gates * h)
            throw new ShapeMismatchException($"LayoutConverters.{op}: b has shape {w.B.Shape}, expected [{gates * h}] ({g} for H = {h} from Wh {w.Wh.Shape}).");
        return (ColumnsToRows(w.Wx, order), ColumnsToRows(w.Wh, order), Unorder(w.B, order), Tensor.ZerosLike(w.B));
    }
}
