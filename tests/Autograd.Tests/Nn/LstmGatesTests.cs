using Autograd;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

/// <summary>The fused <see cref="Ops.LstmGates"/> against the composed gate arithmetic (<see cref="LstmCell.ComposedStep"/>).</summary>
public class LstmGatesTests
{
    // Pre-activations spread over [-6, 6] so σ and tanh are exercised in their tails as well as near 0.
    private static Tensor Gates(int b, int h, int seed, DType dtype) => Tensor.RandomUniform(Shape.Of(b, 4 * h), seed, -6, 6, dtype);

    private static (Tensor H, Tensor C) Composed(Tensor a, Tensor c)
    {
        var g = Chunk(a, 4, axis: -1);
        Tensor i = Sigmoid(g[0]), f = Sigmoid(g[1]), gg = Tanh(g[2]), o = Sigmoid(g[3]);
        var c1 = f * c + i * gg;
        return (o * Tanh(c1), c1);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]     // H below one vector: the scalar tail only
    [InlineData(2, 19)]    // vectors and a tail
    [InlineData(4, 64)]
    public void Values_and_gradients_match_the_composed_cell_in_float64(int b, int h)
    {
        var a = Gates(b, h, 1, DType.Float64);
        var c = Tensor.RandomNormal(Shape.Of(b, h), 2, 0, 2, DType.Float64);
        var (hf, cf) = LstmGates(a, c);
        var (hc, cc) = Composed(a, c);
        ScanTests.Close(hc, hf, 12);
        ScanTests.Close(cc, cf, 12);

        // A loss that weighs h' and c' differently, so both cotangents and both inputs are checked.
        var wh = Tensor.RandomNormal(Shape.Of(b, h), 3, dtype: DType.Float64);
        var wc = Tensor.RandomNormal(Shape.Of(b, h), 4, dtype: DType.Float64);
        Tensor Loss((Tensor A, Tensor C) p, Func<Tensor, Tensor, (Tensor, Tensor)> f)
        {
            var (h1, c1) = f(p.A, p.C);
            return Sum(wh * h1) + Sum(wc * Square(c1));
        }
        var (lf, gf) = Ad.ValueAndGrad(((Tensor A, Tensor C) p) => Loss(p, LstmGates), (a, c));
        var (lc, gc) = Ad.ValueAndGrad(((Tensor A, Tensor C) p) => Loss(p, Composed), (a, c));
        Assert.Equal(lc.Item(), lf.Item(), 1e-10);
        ScanTests.Close(gc.Item1, gf.Item1, 12);
        ScanTests.Close(gc.Item2, gf.Item2, 12);
    }

    [Fact]
    public void Two_summands_equal_their_sum_in_value_and_both_get_its_gradient()
    {
        var a1 = Gates(3, 6, 11, DType.Float64);
        var a2 = Gates(3, 6, 12, DType.Float64);
        var c = Tensor.RandomNormal(Shape.Of(3, 6), 13, dtype: DType.Float64);
        Tensor Loss(Tensor x1, Tensor x2, Tensor cc, bool split)
        {
            var (h1, c1) = split ? LstmGates(x1, x2, cc) : LstmGates(x1 + x2, cc);
            return Sum(h1 * c1) + Sum(Square(h1));
        }
        var (ls, gs) = Ad.ValueAndGrad(((Tensor A1, Tensor A2, Tensor C) p) => Loss(p.A1, p.A2, p.C, split: true), (a1, a2, c));
        var (lj, gj) = Ad.ValueAndGrad(((Tensor A1, Tensor A2, Tensor C) p) => Loss(p.A1, p.A2, p.C, split: false), (a1, a2, c));
        Assert.Equal(lj.Item(), ls.Item(), 1e-12);
        ScanTests.Close(gj.Item1, gs.Item1, 12);
        ScanTests.Close(gj.Item2, gs.Item2, 12);
        ScanTests.Close(gj.Item3, gs.Item3, 12);
        ScanTests.Close(gs.Item1, gs.Item2, 15);
    }

    [Fact]
    public void Float32_values_match_the_composed_cell_to_float_rounding()
    {
        var a = Gates(8, 40, 5, DType.Float32);
        var c = Tensor.RandomNormal(Shape.Of(8, 40), 6, 0, 2, DType.Float32);
        var (hf, cf) = LstmGates(a, c);
        var (hc, cc) = Composed(a, c);
        // σ and tanh are within a few ulps of TensorPrimitives' (an ulp near 1 is 6e-8 in float32).
        Assert.True(MaxAbsDiff(hc, hf) < 3e-7, $"h' differs by {MaxAbsDiff(hc, hf)}");
        Assert.True(MaxAbsDiff(cc, cf) < 3e-7, $"c' differs by {MaxAbsDiff(cc, cf)}");
        Assert.Equal(DType.Float32, hf.DType);
    }

    [Fact]
    public void Saturated_gates_stay_finite_and_exact()
    {
        var a = Tensor.FromArray([-1000.0, 1000.0, 1000.0, 1000.0, 1000.0, -1000.0, -1000.0, 1000.0], 2, 4);
        var c = Tensor.FromArray([3.0, -2.0], 2, 1);
        var (h1, c1) = LstmGates(a, c);
        // row 0: i = 0, f = 1, g = 1, o = 1 → c' = 3, h' = tanh 3; row 1: i = 1, f = 0, g = −1, o = 1 → c' = −1, h' = tanh(−1)
        ScanTests.Close(Tensor.FromArray([3.0, -1.0], 2, 1), c1, 15);
        ScanTests.Close(Tensor.FromArray([Math.Tanh(3), Math.Tanh(-1)], 2, 1), h1, 7);
    }

    [Fact]
    public void The_fused_cell_step_matches_the_composed_step_over_a_scan()
    {
        var cell = LstmCell.Create(3, 7, new Random(7), DType.Float64);
        var xs = Tensor.RandomNormal(Shape.Of(5, 2, 3), 8, dtype: DType.Float64);
        var s0 = new LstmState(Tensor.RandomNormal(Shape.Of(2, 7), 9, dtype: DType.Float64), Tensor.RandomNormal(Shape.Of(2, 7), 10, dtype: DType.Float64));
        Tensor Loss(LstmCell p, Func<LstmCell, Func<LstmState, Tensor, (LstmState, Tensor)>> step) =>
            Sum(Square(p.ProjectInput(xs).Scan(s0, step(p)).Ys));
        var (lf, gf) = Ad.ValueAndGrad((LstmCell p) => Loss(p, q => q.StepProjected), cell);
        var (lc, gc) = Ad.ValueAndGrad((LstmCell p) => Loss(p, q => q.ComposedStep), cell);
        Assert.Equal(lc.Item(), lf.Item(), 1e-10);
        ScanTests.Close(gc.WeightIh, gf.WeightIh, 11);
        ScanTests.Close(gc.WeightHh, gf.WeightHh, 11);
        ScanTests.Close(gc.BiasHh!, gf.BiasHh!, 11);
    }

    // Activation's span kernels give every element the same value whichever lanes compute it: vectors or the scalar tail
    // of a span (a span of 16·k values, the same values in spans of 8, and of 1).
    [Fact]
    public void Sigma_and_tanh_over_a_span_do_not_depend_on_which_lanes_compute_an_element()
    {
        var x = new float[16 * 64];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((i * 7919 % x.Length) / (double)x.Length * 24 - 12) * (i % 5 == 0 ? 0.04f : 1f);
        for (int i = 0; i < 256; i++) x[3 * 256 + i] = -0.7f + i * (1.4f / 256); // where PreciseTanh changes formula (|x| = 0.625)
        foreach (var kernel in new Action<ReadOnlySpan<float>, Span<float>>[]
            { (a, y) => Autograd.Activation.Sigmoid(a, y), (a, y) => Autograd.Activation.Tanh(a, y), Autograd.Activation.PreciseTanh })
        {
            var whole = new float[x.Length];
            kernel(x, whole);
            foreach (int width in new[] { 8, 1 })
            {
                var pieces = new float[x.Length];
                for (int i = 0; i < x.Length; i += width) kernel(x.AsSpan(i, width), pieces.AsSpan(i, width));
                for (int i = 0; i < x.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(whole[i]) == BitConverter.SingleToInt32Bits(pieces[i]),
                        $"x = {x[i]}: {whole[i]} in a span of {x.Length}, {pieces[i]} in spans of {width}");
            }
        }
    }

    // The float32 exponential behind the fused σ and tanh (Activation.ExpSingle, Cephes' expf) against Math.Exp: within
    // 3e-7 relative over [-87, 88] (every point of a fine grid, both ends and 0), its vector lanes equal to its scalar
    // tail bit for bit, σ and tanh saturated at ±∞ and large inputs (σ within 1e-37 of 0), and NaN passed through.
    [Fact]
    public void The_float32_exponential_is_accurate_its_lanes_match_its_tail_and_it_saturates()
    {
        var xs = new List<float> { -87f, 88f, 0f, -1e-8f, 1e-8f };
        for (double x = -87; x <= 88; x += 0.0137) xs.Add((float)x);
        var lanes = new float[8];
        for (int k = 0; k + 8 <= xs.Count; k += 8)
        {
            System.Runtime.Intrinsics.Vector256.CopyTo(Autograd.Activation.ExpSingle(System.Runtime.Intrinsics.Vector256.Create(xs.GetRange(k, 8).ToArray())), lanes);
            for (int l = 0; l < 8; l++)
            {
                float x = xs[k + l], scalar = Autograd.Activation.ExpSingle(x);
                Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(lanes[l]));
                double exact = Math.Exp(x), rel = Math.Abs(scalar - exact) / exact;
                Assert.True(rel <= 3e-7, $"exp({x}) = {scalar}, exact {exact}: relative error {rel:E2}");
            }
        }
        Assert.True(float.IsNaN(Autograd.Activation.ExpSingle(float.NaN)));
        float[] edges = [float.NegativeInfinity, -1000f, -90f, 90f, 1000f, float.PositiveInfinity, float.NaN];
        var sig = new float[edges.Length];
        var tanh = new float[edges.Length];
        Autograd.Activation.Sigmoid<float>(edges, sig);
        Autograd.Activation.Tanh<float>(edges, tanh);
        Assert.All(sig[..3], v => Assert.InRange(v, 0f, 1e-37f)); // e^88 stands in for ∞: 6e-39, not 0
        Assert.Equal(new float[] { 1f, 1f, 1f }, sig[3..6]);
        Assert.Equal(new float[] { -1f, -1f, -1f, 1f, 1f, 1f }, tanh[..6]);
        Assert.True(float.IsNaN(sig[6]) && float.IsNaN(tanh[6]));
    }

    [Fact]
    public void Mismatched_shapes_are_rejected_with_both_shapes_named()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => LstmGates(Tensor.Zeros(Shape.Of(2, 12)), Tensor.Zeros(Shape.Of(2, 4))));
        Assert.Contains("[2, 12]", e.Message);
    }

    private static double MaxAbsDiff(Tensor a, Tensor b) => a.ToDoubleArray().Zip(b.ToDoubleArray(), (x, y) => Math.Abs(x - y)).Max();
}
