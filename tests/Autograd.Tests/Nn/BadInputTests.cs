using Autograd;
using Autograd.Nn;

namespace Autograd.Tests.Nn;

/// <summary>Wrong shapes given to the recurrent cells, layers, scan and TBPTT fail with a message naming the op, the
/// shape received and the shape expected.</summary>
public class BadInputTests
{
    private const int T = 4, B = 2, D = 3, H = 5;

    private static Tensor Zeros(params int[] shape) => Tensor.Zeros(Shape.Of(shape), DType.Float64);

    private static void Names(Exception ex, params string[] parts)
    {
        foreach (var p in parts) Assert.Contains(p, ex.Message);
    }

    public static TheoryData<string> Layers => ["Rnn", "Lstm", "Gru"];

    private static Action Forward(string layer, Tensor x, Tensor? h0 = null, Tensor? c0 = null, bool batchFirst = false)
    {
        var o = new RecurrentOptions(NumLayers: 2, Bidirectional: true, BatchFirst: batchFirst);
        var rng = new Random(60);
        return layer switch
        {
            "Rnn" => () => Rnn.Create(D, H, rng, o, DType.Float64).Forward(x, h0),
            "Lstm" => () => Lstm.Create(D, H, rng, o, DType.Float64).Forward(x, h0, c0 ?? h0),
            _ => () => Gru.Create(D, H, rng, o, DType.Float64).Forward(x, h0),
        };
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_layer_given_one_step_instead_of_a_sequence_names_both_shapes(string layer)
    {
        var ex = Assert.Throws<ShapeMismatchException>(Forward(layer, Zeros(B, D)));
        Names(ex, layer, "[2, 3]", "[T, B, 3]");
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_layer_given_the_wrong_feature_size_names_both_shapes(string layer)
    {
        var ex = Assert.Throws<ShapeMismatchException>(Forward(layer, Zeros(T, B, D + 1)));
        Names(ex, layer, "[4, 2, 4]", "[4, 2, 3]");
        ex = Assert.Throws<ShapeMismatchException>(Forward(layer, Zeros(B, T, D + 1), batchFirst: true));
        Names(ex, layer, "[2, 4, 4]", "[2, 4, 3]", "[B, T, D]");
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_layer_initial_state_of_the_wrong_shape_names_both_shapes(string layer)
    {
        var ex = Assert.Throws<ShapeMismatchException>(Forward(layer, Zeros(T, B, D), Zeros(4, B + 1, H)));
        Names(ex, layer, "h0", "[4, 3, 5]", "[4, 2, 5]");
    }

    [Fact]
    public void Lstm_h0_and_c0_of_different_shapes_names_both()
    {
        var ex = Assert.Throws<ShapeMismatchException>(Forward("Lstm", Zeros(T, B, D), Zeros(4, B, H), Zeros(4, B, H + 1)));
        Names(ex, "Lstm", "c0", "[4, 2, 6]", "[4, 2, 5]");
        var half = Assert.Throws<ArgumentException>(() => Lstm.Create(D, H, new Random(61), dtype: DType.Float64).Forward(Zeros(T, B, D), Zeros(1, B, H)));
        Names(half, "Lstm", "h0", "c0");
    }

    public static TheoryData<string> Cells => ["RnnCell", "LstmCell", "GruCell"];

    private static Action Step(string cell, Tensor x, Tensor h, Tensor? c = null)
    {
        var rng = new Random(62);
        return cell switch
        {
            "RnnCell" => () => RnnCell.Create(D, H, rng, DType.Float64).Step(h, x),
            "LstmCell" => () => LstmCell.Create(D, H, rng, DType.Float64).Step(new LstmState(h, c ?? h), x),
            _ => () => GruCell.Create(D, H, rng, DType.Float64).Step(h, x),
        };
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_cell_given_the_wrong_feature_size_names_the_cell_and_both_shapes(string cell)
    {
        var ex = Assert.Throws<ShapeMismatchException>(Step(cell, Zeros(B, D + 2), Zeros(B, H)));
        Names(ex, cell, "[2, 5]", "[B, 3]");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_cell_given_a_whole_sequence_names_the_cell_and_both_shapes(string cell)
    {
        var ex = Assert.Throws<ShapeMismatchException>(Step(cell, Zeros(T, B, D), Zeros(B, H)));
        Names(ex, cell, "[4, 2, 3]", "[2, 5]", "[B, 3]");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void A_cell_given_a_hidden_state_of_another_batch_names_both_shapes(string cell)
    {
        var ex = Assert.Throws<ShapeMismatchException>(Step(cell, Zeros(B, D), Zeros(B + 1, H)));
        Names(ex, cell, "[3, 5]", "[2, 3]");
    }

    [Fact]
    public void Lstm_cell_state_of_another_shape_than_h_names_both_and_does_not_broadcast()
    {
        // c [1, H] would broadcast against h [B, H] and silently make a batch-B state: it must be rejected.
        foreach (var c in new[] { Zeros(1, H), Zeros(H), Zeros(B + 1, H) })
        {
            var ex = Assert.Throws<ShapeMismatchException>(Step("LstmCell", Zeros(B, D), Zeros(B, H), c));
            Names(ex, "LstmCell", c.Shape.ToString(), "[2, 5]");
        }
    }

    [Fact]
    public void A_mask_of_the_wrong_shape_names_scan_and_both_shapes()
    {
        var cell = GruCell.Create(D, H, new Random(63), DType.Float64);
        var ex = Assert.Throws<ShapeMismatchException>(() =>
            Zeros(T, B, D).Scan(cell.ZeroState(B), cell.Step, new ScanOptions(Mask: Zeros(T, B + 1))));
        Names(ex, "Scan", "[4, 3]", "[4, 2]", "[4, 2, 3]");
        ex = Assert.Throws<ShapeMismatchException>(() =>
            Zeros(T, B, D).Scan(cell.ZeroState(B), cell.Step, new ScanOptions(Mask: Zeros(T))));
        Names(ex, "Scan", "[4]", "[4, 2]");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_non_positive_tbptt_chunk_length_names_tbptt_and_the_value(int k)
    {
        var cell = GruCell.Create(D, H, new Random(64), DType.Float64);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tbptt.Run(Zeros(T, B, D), k, cell, cell.ZeroState(B),
            (GruCell c, Tensor xs, Tensor h) => { var r = xs.Scan(h, c.Step); return (Ops.Sum(r.Ys), r.Final); }));
        Names(ex, "Tbptt", "k", $"got {k}");
    }
}
