using Autograd;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

public class RecurrentLayerTests
{
    private static readonly Tensor X = Tensor.RandomNormal(Shape.Of(4, 2, 3), 21, dtype: DType.Float64);

    [Fact]
    public void A_one_layer_gru_is_a_scan_of_its_cell()
    {
        var gru = Gru.Create(3, 5, new Random(1), dtype: DType.Float64);
        var h0 = Tensor.RandomNormal(Shape.Of(1, 2, 5), 2, dtype: DType.Float64);
        var (output, hn) = gru.Forward(X, h0);
        var r = X.Scan(Index(h0, 0), gru.Cells[0].Step);
        ScanTests.Close(r.Ys, output);
        ScanTests.Close(Unsqueeze(r.Final, 0), hn);
    }

    [Fact]
    public void A_bidirectional_two_layer_lstm_matches_its_layout_by_hand()
    {
        var lstm = Lstm.Create(3, 4, new Random(3), new RecurrentOptions(NumLayers: 2, Bidirectional: true), DType.Float64);
        Assert.Equal(4, lstm.Cells.Length);
        Assert.Equal(8, lstm.Cells[2].InputSize);
        var (output, hn, cn) = lstm.Forward(X);
        Assert.Equal(Shape.Of(4, 2, 8), output.Shape);
        Assert.Equal(Shape.Of(4, 2, 4), hn.Shape);

        var z = lstm.Cells[0].ZeroState(2);
        var f0 = X.Scan(z, lstm.Cells[0].Step);
        var r0 = X.Scan(z, lstm.Cells[1].Step, new ScanOptions(Reverse: true));
        var x1 = Concat(2, f0.Ys, r0.Ys);
        var f1 = x1.Scan(z, lstm.Cells[2].Step);
        var r1 = x1.Scan(z, lstm.Cells[3].Step, new ScanOptions(Reverse: true));
        ScanTests.Close(Concat(2, f1.Ys, r1.Ys), output);
        ScanTests.Close(Stack([f0.Final.H, r0.Final.H, f1.Final.H, r1.Final.H]), hn);
        ScanTests.Close(Stack([f0.Final.C, r0.Final.C, f1.Final.C, r1.Final.C]), cn);
    }

    [Fact]
    public void Batch_first_transposes_input_and_output_only()
    {
        var rnn = Rnn.Create(3, 4, new Random(4), dtype: DType.Float64);
        var bf = rnn with { Options = rnn.Options with { BatchFirst = true } };
        var (o1, h1) = rnn.Forward(X);
        var (o2, h2) = bf.Forward(Transpose(X, 0, 1));
        ScanTests.Close(Transpose(o1, 0, 1), o2);
        ScanTests.Close(h1, h2);
    }

    [Fact]
    public void Named_parameters_use_pytorch_names_and_round_trip()
    {
        var gru = Gru.Create(3, 4, new Random(5), new RecurrentOptions(NumLayers: 2, Bidirectional: true), DType.Float64);
        var names = gru.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(16, names.Length);
        Assert.Equal(new[] { "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse" }, names[..5]);
        Assert.Equal("bias_hh_l1_reverse", names[^1]);
        var back = Gru.FromNamedParameters(gru.NamedParameters().ToDictionary(p => p.Name, p => p.Value));
        Assert.Equal(gru.Options, back.Options);
        ScanTests.Close(gru.Forward(X).Output, back.Forward(X).Output);
    }

    [Fact]
    public void A_wrong_initial_state_names_expected_and_received_shapes()
    {
        var rnn = Rnn.Create(3, 4, new Random(6), new RecurrentOptions(NumLayers: 2), DType.Float64);
        var ex = Assert.Throws<ShapeMismatchException>(() => rnn.Forward(X, Tensor.Zeros(Shape.Of(1, 2, 4), DType.Float64)));
        Assert.Contains("h0", ex.Message);
        Assert.Contains("[1, 2, 4]", ex.Message);
        Assert.Contains("[2, 2, 4]", ex.Message);
        var ey = Assert.Throws<ShapeMismatchException>(() => rnn.Forward(Tensor.Zeros(Shape.Of(4, 2, 5), DType.Float64)));
        Assert.Contains("[4, 2, 5]", ey.Message);
        Assert.Contains("D = 3", ey.Message);
    }

    [Fact]
    public void Dropout_acts_between_layers_only_when_a_generator_is_given()
    {
        var gru = Gru.Create(3, 4, new Random(7), new RecurrentOptions(NumLayers: 2, Dropout: 0.5), DType.Float64);
        var eval = gru.Forward(X).Output;
        ScanTests.Close(eval, gru.Forward(X).Output);
        var a = gru.Forward(X, dropoutRng: new Random(1)).Output;
        var b = gru.Forward(X, dropoutRng: new Random(1)).Output;
        ScanTests.Close(a, b);
        Assert.NotEqual(eval.ToDoubleArray(), a.ToDoubleArray());
        // One layer: nothing to drop between.
        var one = Gru.Create(3, 4, new Random(8), new RecurrentOptions(Dropout: 0.5), DType.Float64);
        ScanTests.Close(one.Forward(X).Output, one.Forward(X, dropoutRng: new Random(1)).Output);
    }

    [Fact]
    public void Layer_gradients_come_back_as_the_same_record()
    {
        var lstm = Lstm.Create(3, 4, new Random(9), new RecurrentOptions(Bidirectional: true), DType.Float64);
        var g = Ad.Grad((Lstm l) => Sum(l.Forward(X).Output), lstm);
        Assert.Equal(lstm.Options, g.Options);
        Assert.Equal(2, g.Cells.Length);
        Assert.Contains(g.Cells[1].WeightHh.ToDoubleArray(), v => v != 0);
    }
}
