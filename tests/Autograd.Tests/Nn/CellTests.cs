using Autograd;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

public class CellTests
{
    private static readonly Tensor X = Tensor.RandomNormal(Shape.Of(2, 3), 11, dtype: DType.Float64);
    private static readonly Tensor H = Tensor.RandomNormal(Shape.Of(2, 4), 12, dtype: DType.Float64);
    private static readonly Tensor C = Tensor.RandomNormal(Shape.Of(2, 4), 13, dtype: DType.Float64);

    // Gate block k of a [B, G·H] pre-activation, written out by hand with MatMul so that it is independent of Linear/Chunk.
    private static Tensor Pre(Tensor x, Tensor h, Tensor wih, Tensor whh, Tensor bih, Tensor bhh, int k, int hidden, bool hiddenOnly = false)
    {
        Tensor Block(Tensor t) => Slice(t, 0, k * hidden, (k + 1) * hidden);
        var hs = MatMul(h, Transpose(Block(whh), 0, 1)) + Block(bhh);
        return hiddenOnly ? hs : MatMul(x, Transpose(Block(wih), 0, 1)) + Block(bih) + hs;
    }

    [Fact]
    public void Rnn_cell_step_is_tanh_or_relu_of_the_affine_sum()
    {
        foreach (var act in new[] { RnnNonlinearity.Tanh, RnnNonlinearity.Relu })
        {
            var cell = RnnCell.Create(3, 4, new Random(1), DType.Float64, nonlinearity: act);
            var pre = MatMul(X, cell.WeightIh.T) + cell.BiasIh! + MatMul(H, cell.WeightHh.T) + cell.BiasHh!;
            var (h1, y) = cell.Step(H, X);
            ScanTests.Close(act == RnnNonlinearity.Tanh ? Tanh(pre) : Relu(pre), h1);
            Assert.Same(h1, y);
        }
    }

    [Fact]
    public void Lstm_cell_follows_the_ifgo_equations()
    {
        var cell = LstmCell.Create(3, 4, new Random(2), DType.Float64);
        Tensor G(int k) => Pre(X, H, cell.WeightIh, cell.WeightHh, cell.BiasIh!, cell.BiasHh!, k, 4);
        var c1 = Sigmoid(G(1)) * C + Sigmoid(G(0)) * Tanh(G(2));
        var h1 = Sigmoid(G(3)) * Tanh(c1);
        var (s, y) = cell.Step(new LstmState(H, C), X);
        ScanTests.Close(c1, s.C);
        ScanTests.Close(h1, s.H);
        Assert.Same(s.H, y);
    }

    [Fact]
    public void Gru_cell_follows_the_rzn_equations_with_r_on_the_hidden_bias()
    {
        var cell = GruCell.Create(3, 4, new Random(3), DType.Float64);
        Tensor G(int k, bool hiddenOnly = false) => Pre(X, H, cell.WeightIh, cell.WeightHh, cell.BiasIh!, cell.BiasHh!, k, 4, hiddenOnly);
        var r = Sigmoid(G(0));
        var z = Sigmoid(G(1));
        var xn = MatMul(X, Slice(cell.WeightIh, 0, 8, 12).T) + Slice(cell.BiasIh!, 0, 8, 12);
        var n = Tanh(xn + r * G(2, hiddenOnly: true));
        ScanTests.Close((1.0 - z) * n + z * H, cell.Step(H, X).Carry);
    }

    [Fact]
    public void Create_uses_pytorch_names_shapes_order_and_bounds()
    {
        var cell = LstmCell.Create(3, 5, new Random(4), DType.Float64);
        var named = cell.NamedParameters();
        Assert.Equal(new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }, named.Select(p => p.Name));
        Assert.Equal(new[] { Shape.Of(20, 3), Shape.Of(20, 5), Shape.Of(20), Shape.Of(20) }, named.Select(p => p.Value.Shape));
        double bound = 1 / Math.Sqrt(5);
        Assert.All(named.SelectMany(p => p.Value.ToDoubleArray()), v => Assert.InRange(v, -bound, bound));
        Assert.Equal(3, cell.InputSize);
        Assert.Equal(5, cell.HiddenSize);
        // Seeded: the same generator state gives the same cell.
        Assert.Equal(cell.WeightHh.ToDoubleArray(), LstmCell.Create(3, 5, new Random(4), DType.Float64).WeightHh.ToDoubleArray());
        var noBias = GruCell.Create(3, 5, new Random(4), bias: false);
        Assert.Null(noBias.BiasIh);
        Assert.Equal(new[] { "weight_ih", "weight_hh" }, noBias.NamedParameters().Select(p => p.Name));
        Assert.Equal(Shape.Of(2, 5), noBias.Step(noBias.ZeroState(2), Tensor.Ones(Shape.Of(2, 3))).Y.Shape);
    }

    [Fact]
    public void FromNamedParameters_round_trips_and_rejects_bad_shapes()
    {
        var cell = GruCell.Create(3, 4, new Random(5), DType.Float64);
        var back = GruCell.FromNamedParameters(cell.NamedParameters().ToDictionary(p => p.Name, p => p.Value));
        Assert.Same(cell.WeightIh, back.WeightIh);
        Assert.Same(cell.BiasHh, back.BiasHh);
        var bad = cell.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
        bad["weight_ih"] = Tensor.Zeros(Shape.Of(8, 3));
        var ex = Assert.Throws<ShapeMismatchException>(() => GruCell.FromNamedParameters(bad));
        Assert.Contains("weight_ih", ex.Message);
        Assert.Contains("[8, 3]", ex.Message);
        Assert.Contains("[12, D]", ex.Message);
    }

    [Fact]
    public void A_hidden_state_of_the_wrong_width_names_the_cell_and_shapes()
    {
        var cell = RnnCell.Create(3, 4, new Random(6), DType.Float64);
        var ex = Assert.Throws<ShapeMismatchException>(() => cell.Step(Tensor.Zeros(Shape.Of(2, 5), DType.Float64), X));
        Assert.Contains("RnnCell", ex.Message);
        Assert.Contains("[2, 5]", ex.Message);
        Assert.Contains("[B, 4]", ex.Message);
    }

    [Fact]
    public void Cells_differentiate_as_parameter_records()
    {
        var cell = LstmCell.Create(3, 4, new Random(7), DType.Float64);
        var g = Ad.Grad((LstmCell c) => Sum(Tensor.From(new double[] { 1, 2, 3 }).Reshape3().Scan(c.ZeroState(1), c.Step).Final.H), cell);
        Assert.IsType<LstmCell>(g);
        Assert.Equal(cell.WeightIh.Shape, g.WeightIh.Shape);
        Assert.Contains(g.WeightHh.ToDoubleArray(), v => v != 0);
    }
}

internal static class CellTestHelpers
{
    // [3] → [T=3, B=1, D=1] repeated to D = 3.
    public static Tensor Reshape3(this Tensor t) => Concat(2, Reshape(t, 3, 1, 1), Reshape(t, 3, 1, 1), Reshape(t, 3, 1, 1));
}

public class InitializerTests
{
    [Fact]
    public void Orthogonal_has_orthonormal_columns_or_rows()
    {
        foreach (var shape in new[] { Shape.Of(12, 4), Shape.Of(4, 4), Shape.Of(3, 7) })
        {
            var q = Initializers.Orthogonal(shape, new Random(1), DType.Float64);
            Assert.Equal(shape, q.Shape);
            var gram = shape[0] >= shape[1] ? MatMul(q.T, q) : MatMul(q, q.T);
            int n = gram.Shape[0];
            ScanTests.Close(Tensor.Eye(n, dtype: DType.Float64), gram);
        }
    }

    [Fact]
    public void Xavier_and_lecun_scales()
    {
        var u = Initializers.XavierUniform(Shape.Of(30, 20), new Random(2), DType.Float64);
        double a = Math.Sqrt(6.0 / 50);
        Assert.All(u.ToDoubleArray(), v => Assert.InRange(v, -a, a));
        Assert.True(u.ToDoubleArray().Max() > 0.8 * a);
        var n = Initializers.LeCunNormal(Shape.Of(400, 100), new Random(3), DType.Float64).ToDoubleArray();
        double std = Math.Sqrt(n.Select(v => v * v).Average());
        Assert.InRange(std, 0.095, 0.105); // 1/√100
        var g = Initializers.XavierNormal(Shape.Of(300, 100), new Random(4), DType.Float64).ToDoubleArray();
        Assert.InRange(Math.Sqrt(g.Select(v => v * v).Average()), 0.0707 * 0.95, 0.0707 * 1.05); // √(2/400)
    }

    [Fact]
    public void Forget_gate_bias_sets_only_the_f_block()
    {
        var cell = LstmCell.Create(2, 3, new Random(5), DType.Float64).WithForgetGateBias(1.0);
        var bih = cell.BiasIh!.ToDoubleArray();
        var bhh = cell.BiasHh!.ToDoubleArray();
        Assert.Equal(new double[] { 1, 1, 1 }, bih[3..6]);
        Assert.Equal(new double[] { 0, 0, 0 }, bhh[3..6]);
        Assert.Equal(LstmCell.Create(2, 3, new Random(5), DType.Float64).BiasIh!.ToDoubleArray()[..3], bih[..3]);
    }
}
