using Autograd;
using Autograd.Nn;

namespace Autograd.Tests.Nn;

public class LayoutConverterTests
{
    private const int B = 2, D = 3, H = 4;

    private static Tensor Normal(int seed, params int[] shape) => Tensor.RandomNormal(Shape.Of(shape), seed, dtype: DType.Float64);

    private static InputMajorWeights OneBias(int gates, int seed) => new(Normal(seed, D, gates * H), Normal(seed + 1, H, gates * H), Normal(seed + 2, gates * H));

    private static long[] Bits(Tensor t) => t.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).ToArray();

    private static void Exact(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(Bits(expected), Bits(actual));
    }

    private static void Exact(InputMajorWeights expected, InputMajorWeights actual)
    {
        Exact(expected.Wx, actual.Wx);
        Exact(expected.Wh, actual.Wh);
        Exact(expected.B, actual.B);
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>a = x @ Wx + h @ Wh + b over plain arrays (row-major): x [B, D], h [B, H], Wx [D, M], Wh [H, M], b [M] → [B, M].</summary>
    private static double[] Affine(InputMajorWeights w, Tensor x, Tensor h)
    {
        double[] xs = x.ToDoubleArray(), hs = h.ToDoubleArray(), wx = w.Wx.ToDoubleArray(), wh = w.Wh.ToDoubleArray(), b = w.B.ToDoubleArray();
        int m = b.Length;
        var a = new double[B * m];
        for (int n = 0; n < B; n++)
            for (int j = 0; j < m; j++)
            {
                double s = b[j];
                for (int k = 0; k < D; k++) s += xs[n * D + k] * wx[k * m + j];
                for (int k = 0; k < H; k++) s += hs[n * H + k] * wh[k * m + j];
                a[n * m + j] = s;
            }
        return a;
    }

    /// <summary>One LSTM step as the books write it, with the four gate blocks of a taken in the given order of names.</summary>
    private static (double[] H, double[] C) BookLstmStep(InputMajorWeights w, Tensor x, Tensor h, Tensor c, string order)
    {
        var a = Affine(w, x, h);
        double[] cPrev = c.ToDoubleArray(), hNext = new double[B * H], cNext = new double[B * H];
        for (int n = 0; n < B; n++)
            for (int j = 0; j < H; j++)
            {
                double Block(char gate) => a[n * 4 * H + order.IndexOf(gate) * H + j];
                double i = Sigmoid(Block('i')), f = Sigmoid(Block('f')), o = Sigmoid(Block('o')), g = Math.Tanh(Block('g'));
                cNext[n * H + j] = f * cPrev[n * H + j] + i * g;
                hNext[n * H + j] = o * Math.Tanh(cNext[n * H + j]);
            }
        return (hNext, cNext);
    }

    private static void Close(double[] expected, Tensor actual)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) <= 1e-13, $"element {i}: {a[i]:R}, expected {expected[i]:R}");
    }

    private static readonly Tensor X = Normal(40, B, D), H0 = Normal(41, B, H), C0 = Normal(42, B, H);

    public static TheoryData<string> Books => ["cs231n", "dlfs2"];

    private static InputMajorWeights ToBook(string book, LstmCell cell) => book == "cs231n" ? LayoutConverters.ToCs231nLstm(cell) : LayoutConverters.ToDlfs2Lstm(cell);

    private static LstmCell FromBook(string book, InputMajorWeights w) => book == "cs231n" ? LayoutConverters.FromCs231nLstm(w) : LayoutConverters.FromDlfs2Lstm(w);

    private static string Order(string book) => book == "cs231n" ? "ifog" : "fgio";

    [Theory]
    [MemberData(nameof(Books))]
    public void A_book_lstm_step_on_converted_weights_equals_LstmCell_step(string book)
    {
        var cell = LstmCell.Create(D, H, new Random(43), DType.Float64);
        var (hBook, cBook) = BookLstmStep(ToBook(book, cell), X, H0, C0, Order(book));
        var (s, _) = cell.Step(new LstmState(H0, C0), X);
        Close(hBook, s.H);
        Close(cBook, s.C);
        // The other direction: a cell made from the book's weights steps like the book.
        var w = OneBias(4, 44);
        var (h2, c2) = BookLstmStep(w, X, H0, C0, Order(book));
        var (s2, _) = FromBook(book, w).Step(new LstmState(H0, C0), X);
        Close(h2, s2.H);
        Close(c2, s2.C);
    }

    [Theory]
    [MemberData(nameof(Books))]
    public void The_gate_order_matters_so_the_step_check_can_fail(string book)
    {
        var cell = LstmCell.Create(D, H, new Random(45), DType.Float64);
        // The book's weights read in PyTorch's order i, f, g, o instead of the book's: a different h.
        var (hWrong, _) = BookLstmStep(ToBook(book, cell), X, H0, C0, "ifgo");
        var h = cell.Step(new LstmState(H0, C0), X).Carry.H.ToDoubleArray();
        Assert.True(hWrong.Zip(h).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Theory]
    [MemberData(nameof(Books))]
    public void One_bias_to_LstmCell_and_back_is_exact(string book)
    {
        var w = OneBias(4, 46);
        var cell = FromBook(book, w);
        // PyTorch's block k (gate "ifgo"[k]) of b_ih is the book's block of the same gate.
        double[] b = w.B.ToDoubleArray(), bih = cell.BiasIh!.ToDoubleArray();
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < H; j++)
                Assert.Equal(b[Order(book).IndexOf("ifgo"[k]) * H + j], bih[k * H + j]);
        Assert.All(cell.BiasHh!.ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.Equal(Shape.Of(4 * H, D), cell.WeightIh.Shape);
        Assert.Equal(Shape.Of(4 * H, H), cell.WeightHh.Shape);
        Exact(w, ToBook(book, cell));
    }

    [Theory]
    [MemberData(nameof(Books))]
    public void LstmCell_to_one_bias_and_back_keeps_weights_and_the_bias_sum_exactly(string book)
    {
        var cell = LstmCell.Create(D, H, new Random(47), DType.Float64);
        var back = FromBook(book, ToBook(book, cell));
        Exact(cell.WeightIh, back.WeightIh);
        Exact(cell.WeightHh, back.WeightHh);
        Exact(cell.BiasIh! + cell.BiasHh!, back.BiasIh!);
        Assert.All(back.BiasHh!.ToDoubleArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Cs231n_to_dlfs2_through_LstmCell_permutes_the_blocks_and_round_trips()
    {
        var w = OneBias(4, 48);
        var dlfs2 = LayoutConverters.ToDlfs2Lstm(LayoutConverters.FromCs231nLstm(w));
        // CS231n i, f, o, g → DLFS2 f, g, i, o: DLFS2 block 0 (f) is CS231n block 1, block 1 (g) is block 3, ...
        int[] from = [1, 3, 0, 2];
        var (src, dst) = (w.Wx.ToDoubleArray(), dlfs2.Wx.ToDoubleArray());
        for (int r = 0; r < D; r++)
            for (int k = 0; k < 4; k++)
                for (int j = 0; j < H; j++)
                    Assert.Equal(src[r * 4 * H + from[k] * H + j], dst[r * 4 * H + k * H + j]);
        Exact(w, LayoutConverters.ToCs231nLstm(LayoutConverters.FromDlfs2Lstm(dlfs2)));
    }

    [Fact]
    public void Rnn_converts_both_ways_and_steps_like_the_books()
    {
        var w = OneBias(1, 49);
        var cell = LayoutConverters.FromCs231nRnn(w);
        Exact(w, LayoutConverters.ToCs231nRnn(cell));
        // CS231n: next_h = tanh(x Wx + prev_h Wh + b); DLFS2: h_next = tanh(h_prev Wh + x Wx + b).
        Close(Affine(w, X, H0).Select(Math.Tanh).ToArray(), cell.Step(H0, X).Carry);

        var created = RnnCell.Create(D, H, new Random(50), DType.Float64);
        var back = LayoutConverters.FromCs231nRnn(LayoutConverters.ToCs231nRnn(created));
        Exact(created.WeightIh, back.WeightIh);
        Exact(created.WeightHh, back.WeightHh);
        Exact(created.BiasIh! + created.BiasHh!, back.BiasIh!);
        Close(Affine(LayoutConverters.ToCs231nRnn(created), X, H0).Select(Math.Tanh).ToArray(), created.Step(H0, X).Carry);
        Assert.Equal(RnnNonlinearity.Relu, LayoutConverters.FromCs231nRnn(w, RnnNonlinearity.Relu).Nonlinearity);
    }

    [Fact]
    public void A_cell_without_bias_converts_with_a_zero_bias_and_float32_stays_float32()
    {
        var cell = LstmCell.Create(D, H, new Random(51), DType.Float32, bias: false);
        var w = LayoutConverters.ToCs231nLstm(cell);
        Assert.Equal(Shape.Of(4 * H), w.B.Shape);
        Assert.All(w.B.ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.Equal(DType.Float32, w.Wx.DType);
        Assert.Equal(DType.Float32, w.B.DType);
        var back = LayoutConverters.FromCs231nLstm(w);
        Assert.Equal(cell.WeightIh.ToFloatArray(), back.WeightIh.ToFloatArray());
        Assert.Equal(DType.Float32, back.BiasHh!.DType);
    }

    [Fact]
    public void Bad_shapes_name_the_converter_and_both_shapes()
    {
        var w = OneBias(4, 52);
        var ex = Assert.Throws<ShapeMismatchException>(() => LayoutConverters.FromCs231nLstm(w with { Wx = Normal(1, D, 3 * H) }));
        Assert.Contains("FromCs231nLstm", ex.Message);
        Assert.Contains("[3, 12]", ex.Message);
        Assert.Contains("[D, 16]", ex.Message);
        ex = Assert.Throws<ShapeMismatchException>(() => LayoutConverters.FromDlfs2Lstm(w with { B = Normal(1, 4 * H + 1) }));
        Assert.Contains("FromDlfs2Lstm", ex.Message);
        Assert.Contains("[17]", ex.Message);
        Assert.Contains("expected [16]", ex.Message);
        ex = Assert.Throws<ShapeMismatchException>(() => LayoutConverters.FromCs231nRnn(w));
        Assert.Contains("FromCs231nRnn", ex.Message);
        Assert.Contains("[4, 16]", ex.Message);
        Assert.Contains("[H, H]", ex.Message);
    }
}
