using Autograd;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

/// <summary>The fused sequence primitives (<see cref="Ops.LstmSequence"/>, <see cref="Ops.GruSequence"/>) against the scan of the cell's
/// <c>StepProjected</c> they replace in the layers: values and gradients of every input.</summary>
public class SequencePrimitiveTests
{
    private static Tensor Normal(int seed, DType dtype, params int[] shape) => Tensor.RandomNormal(Shape.Of(shape), seed, 0, 1, dtype);

    // Weights of the loss on the outputs, the final h and the final c, so every cotangent path is exercised.
    private static Tensor Loss(Tensor ys, Tensor h, Tensor? c, int seed)
    {
        var l = Sum(Normal(seed, ys.DType, ys.Shape.ToArray()) * ys) + Sum(Normal(seed + 1, h.DType, h.Shape.ToArray()) * Square(h));
        return c is null ? l : l + Sum(Normal(seed + 2, c.DType, c.Shape.ToArray()) * Tanh(c));
    }

    private static double MaxAbsDiff(Tensor a, Tensor b) => a.ToDoubleArray().Zip(b.ToDoubleArray(), (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();

    private static (Tensor Loss, (LstmCell Cell, Tensor X, Tensor H0, Tensor C0) Grad) Lstm(
        LstmCell cell, Tensor x, Tensor h0, Tensor c0, bool reverse, bool fused) =>
        Ad.ValueAndGrad(((LstmCell Cell, Tensor X, Tensor H0, Tensor C0) p) =>
        {
            var xp = p.Cell.ProjectInput(p.X);
            if (fused)
            {
                var (ys, h, c) = LstmSequence(xp, p.H0, p.C0, p.Cell.WeightHh, p.Cell.BiasHh, reverse);
                return Loss(ys, h, c, 40);
            }
            var r = xp.Scan(new LstmState(p.H0, p.C0), p.Cell.StepProjected, new ScanOptions(Reverse: reverse));
            return Loss(r.Ys, r.Final.H, r.Final.C, 40);
        }, (cell, x, h0, c0));

    [Theory]
    [InlineData(1, 1, 1, 1, false, true)]
    [InlineData(4, 2, 3, 5, false, true)]     // H below one vector: the scalar tails
    [InlineData(4, 2, 3, 5, true, true)]
    [InlineData(6, 3, 4, 19, false, false)]   // vectors and a tail; no biases
    [InlineData(6, 3, 4, 19, true, true)]
    [InlineData(1, 2, 3, 8, true, true)]
    [InlineData(3, 16, 8, 128, false, true)]  // 16 rows of H 128: each step runs as two halves (RowHalves)
    [InlineData(3, 16, 8, 128, true, true)]
    public void Lstm_sequence_matches_the_scan_of_the_cell_in_float64(int steps, int batch, int input, int hidden, bool reverse, bool bias)
    {
        var cell = LstmCell.Create(input, hidden, new Random(steps + hidden), DType.Float64, bias);
        Tensor x = Normal(1, DType.Float64, steps, batch, input), h0 = Normal(2, DType.Float64, batch, hidden), c0 = Normal(3, DType.Float64, batch, hidden);
        var (ys, h, c) = LstmSequence(cell.ProjectInput(x), h0, c0, cell.WeightHh, cell.BiasHh, reverse);
        var r = cell.ProjectInput(x).Scan(new LstmState(h0, c0), cell.StepProjected, new ScanOptions(Reverse: reverse));
        ScanTests.Close(r.Ys, ys, 12);
        ScanTests.Close(r.Final.H, h, 12);
        ScanTests.Close(r.Final.C, c, 12);

        var (lf, gf) = Lstm(cell, x, h0, c0, reverse, fused: true);
        var (ls, gs) = Lstm(cell, x, h0, c0, reverse, fused: false);
        Assert.Equal(ls.Item(), lf.Item(), 1e-10);
        foreach (var (e, a) in new[] { (gs.X, gf.X), (gs.H0, gf.H0), (gs.C0, gf.C0), (gs.Cell.WeightIh, gf.Cell.WeightIh),
                     (gs.Cell.WeightHh, gf.Cell.WeightHh) }.Concat(bias ? [(gs.Cell.BiasIh!, gf.Cell.BiasIh!), (gs.Cell.BiasHh!, gf.Cell.BiasHh!)] : []))
            Assert.True(MaxAbsDiff(e, a) < 1e-10, $"gradient differs by {MaxAbsDiff(e, a)}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Lstm_sequence_matches_the_scan_in_float32(bool reverse)
    {
        var cell = LstmCell.Create(16, 40, new Random(5));
        Tensor x = Normal(1, DType.Float32, 12, 8, 16), h0 = Normal(2, DType.Float32, 8, 40), c0 = Normal(3, DType.Float32, 8, 40);
        var (lf, gf) = Lstm(cell, x, h0, c0, reverse, fused: true);
        var (ls, gs) = Lstm(cell, x, h0, c0, reverse, fused: false);
        Assert.Equal(DType.Float32, lf.DType);
        Assert.Equal(ls.Item(), lf.Item(), 1e-4); // a sum of ~10⁴ float32 terms that largely cancel
        foreach (var (e, a) in new[] { (gs.X, gf.X), (gs.H0, gf.H0), (gs.C0, gf.C0), (gs.Cell.WeightHh, gf.Cell.WeightHh), (gs.Cell.BiasHh!, gf.Cell.BiasHh!) })
            Assert.True(MaxAbsDiff(e, a) < 1e-4, $"gradient differs by {MaxAbsDiff(e, a)}");
    }

    [Fact]
    public void Lstm_sequence_of_no_steps_returns_the_initial_state()
    {
        var cell = LstmCell.Create(2, 3, new Random(1), DType.Float64);
        Tensor h0 = Normal(2, DType.Float64, 2, 3), c0 = Normal(3, DType.Float64, 2, 3);
        var (ys, h, c) = LstmSequence(Tensor.Zeros(Shape.Of(0, 2, 12), DType.Float64), h0, c0, cell.WeightHh, cell.BiasHh);
        Assert.Equal(Shape.Of(0, 2, 3), ys.Shape);
        ScanTests.Close(h0, h, 15);
        ScanTests.Close(c0, c, 15);
    }

    [Fact]
    public void Lstm_sequence_rejects_mismatched_shapes_naming_them()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => LstmSequence(Tensor.Zeros(Shape.Of(3, 2, 12)), Tensor.Zeros(Shape.Of(2, 4)),
            Tensor.Zeros(Shape.Of(2, 4)), Tensor.Zeros(Shape.Of(16, 4))));
        Assert.Contains("[3, 2, 12]", e.Message);
    }

    // The projecting overload (the layer's path) against Affine + the projected overload: values and every gradient,
    // with either bias present or absent (PyTorch always has both or neither; the op takes each on its own).
    [Theory]
    [InlineData(5, 3, 4, 19, false, true, true)]
    [InlineData(5, 3, 4, 19, true, true, true)]
    [InlineData(4, 2, 3, 5, false, false, false)]
    [InlineData(4, 2, 3, 5, true, true, false)]
    [InlineData(1, 1, 2, 3, false, false, true)]
    [InlineData(3, 16, 8, 128, true, true, true)]  // 16 rows of H 128: each step runs as two halves (RowHalves)
    // An input wider than Gemm.StepProjectionDepth (64) is projected before the loop, a narrower one inside each step
    [InlineData(3, 2, 70, 5, false, true, true)]
    [InlineData(3, 16, 72, 128, true, true, false)]
    public void Lstm_sequence_projecting_its_input_equals_affine_then_the_projected_sequence(int steps, int batch, int input, int hidden,
        bool reverse, bool biasIh, bool biasHh)
    {
        var cell = LstmCell.Create(input, hidden, new Random(steps * 7 + hidden), DType.Float64);
        var p = (X: Normal(1, DType.Float64, steps, batch, input), H0: Normal(2, DType.Float64, batch, hidden), C0: Normal(3, DType.Float64, batch, hidden),
            Wih: cell.WeightIh, Whh: cell.WeightHh, Bih: cell.BiasIh!, Bhh: cell.BiasHh!);
        Tensor Run((Tensor X, Tensor H0, Tensor C0, Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh) q, bool fusedProjection)
        {
            var (ys, h, c) = fusedProjection
                ? LstmSequence(q.X, q.H0, q.C0, q.Wih, q.Whh, biasIh ? q.Bih : null, biasHh ? q.Bhh : null, reverse)
                : LstmSequence(Affine(q.X, q.Wih, biasIh ? q.Bih : null), q.H0, q.C0, q.Whh, biasHh ? q.Bhh : null, reverse);
            // 0·b keeps an unused bias in the graph, so both sides return a (zero) gradient for it
            return Loss(ys, h, c, 60) + Sum(0.0 * q.Bih) + Sum(0.0 * q.Bhh);
        }
        var (lf, gf) = Ad.ValueAndGrad(q => Run(q, true), p);
        var (ls, gs) = Ad.ValueAndGrad(q => Run(q, false), p);
        Assert.Equal(ls.Item(), lf.Item(), 1e-12);
        foreach (var (name, e, a) in new[] { ("x", gs.X, gf.X), ("h0", gs.H0, gf.H0), ("c0", gs.C0, gf.C0), ("W_ih", gs.Wih, gf.Wih),
                     ("W_hh", gs.Whh, gf.Whh), ("b_ih", gs.Bih, gf.Bih), ("b_hh", gs.Bhh, gf.Bhh) })
            Assert.True(MaxAbsDiff(e, a) < 1e-12, $"gradient of {name} differs by {MaxAbsDiff(e, a)}");
    }

    // The layer's path in float32 (pooled float scratch, the float GEMM paths): against Affine + the projected overload.
    [Theory]
    [InlineData(false, 16)]
    [InlineData(true, 16)]
    [InlineData(false, 72)] // projected before the loop (wider than Gemm.StepProjectionDepth)
    public void Lstm_sequence_projecting_its_input_matches_in_float32(bool reverse, int input)
    {
        var cell = LstmCell.Create(input, 40, new Random(9));
        var p = (X: Normal(1, DType.Float32, 12, 8, input), H0: Normal(2, DType.Float32, 8, 40), C0: Normal(3, DType.Float32, 8, 40), Cell: cell);
        Tensor Run((Tensor X, Tensor H0, Tensor C0, LstmCell Cell) q, bool fusedProjection)
        {
            var (ys, h, c) = fusedProjection
                ? LstmSequence(q.X, q.H0, q.C0, q.Cell.WeightIh, q.Cell.WeightHh, q.Cell.BiasIh, q.Cell.BiasHh, reverse)
                : LstmSequence(q.Cell.ProjectInput(q.X), q.H0, q.C0, q.Cell.WeightHh, q.Cell.BiasHh, reverse);
            return Loss(ys, h, c, 70);
        }
        var (lf, gf) = Ad.ValueAndGrad(q => Run(q, true), p);
        var (ls, gs) = Ad.ValueAndGrad(q => Run(q, false), p);
        Assert.Equal(DType.Float32, lf.DType);
        Assert.Equal(ls.Item(), lf.Item(), 1e-4);
        foreach (var (name, e, a) in new[] { ("x", gs.X, gf.X), ("h0", gs.H0, gf.H0), ("c0", gs.C0, gf.C0), ("W_ih", gs.Cell.WeightIh, gf.Cell.WeightIh),
                     ("W_hh", gs.Cell.WeightHh, gf.Cell.WeightHh), ("b_ih", gs.Cell.BiasIh!, gf.Cell.BiasIh!), ("b_hh", gs.Cell.BiasHh!, gf.Cell.BiasHh!) })
            Assert.True(MaxAbsDiff(e, a) < 1e-4, $"gradient of {name} differs by {MaxAbsDiff(e, a)}");
    }

    [Fact]
    public void Lstm_sequence_projecting_its_input_rejects_a_weight_that_does_not_fit_naming_the_shapes()
    {
        var cell = LstmCell.Create(4, 3, new Random(1));
        var e = Assert.Throws<ShapeMismatchException>(() => LstmSequence(Tensor.Zeros(Shape.Of(2, 2, 5)), Tensor.Zeros(Shape.Of(2, 3)),
            Tensor.Zeros(Shape.Of(2, 3)), cell.WeightIh, cell.WeightHh, cell.BiasIh, cell.BiasHh));
        Assert.Contains("[2, 2, 5]", e.Message);
        Assert.Contains("W_ih [12, 4]", e.Message);
    }

    private static (Tensor Loss, (GruCell Cell, Tensor X, Tensor H0) Grad) Gru(GruCell cell, Tensor x, Tensor h0, bool reverse, bool fused) =>
        Ad.ValueAndGrad(((GruCell Cell, Tensor X, Tensor H0) p) =>
        {
            var xp = p.Cell.ProjectInput(p.X);
            if (fused)
            {
                var (ys, h) = GruSequence(xp, p.H0, p.Cell.WeightHh, p.Cell.BiasHh, reverse);
                return Loss(ys, h, null, 50);
            }
            var r = xp.Scan(p.H0, p.Cell.StepProjected, new ScanOptions(Reverse: reverse));
            return Loss(r.Ys, r.Final, null, 50);
        }, (cell, x, h0));

    [Theory]
    [InlineData(1, 1, 1, 1, false, true)]
    [InlineData(4, 2, 3, 5, false, true)]
    [InlineData(4, 2, 3, 5, true, true)]
    [InlineData(6, 3, 4, 19, false, false)]
    [InlineData(6, 3, 4, 19, true, true)]
    [InlineData(1, 2, 3, 8, true, true)]
    public void Gru_sequence_matches_the_scan_of_the_cell_in_float64(int steps, int batch, int input, int hidden, bool reverse, bool bias)
    {
        var cell = GruCell.Create(input, hidden, new Random(steps + hidden), DType.Float64, bias);
        Tensor x = Normal(1, DType.Float64, steps, batch, input), h0 = Normal(2, DType.Float64, batch, hidden);
        var (ys, h) = GruSequence(cell.ProjectInput(x), h0, cell.WeightHh, cell.BiasHh, reverse);
        var r = cell.ProjectInput(x).Scan(h0, cell.StepProjected, new ScanOptions(Reverse: reverse));
        ScanTests.Close(r.Ys, ys, 12);
        ScanTests.Close(r.Final, h, 12);

        var (lf, gf) = Gru(cell, x, h0, reverse, fused: true);
        var (ls, gs) = Gru(cell, x, h0, reverse, fused: false);
        Assert.Equal(ls.Item(), lf.Item(), 1e-10);
        foreach (var (e, a) in new[] { (gs.X, gf.X), (gs.H0, gf.H0), (gs.Cell.WeightIh, gf.Cell.WeightIh), (gs.Cell.WeightHh, gf.Cell.WeightHh) }
                     .Concat(bias ? [(gs.Cell.BiasIh!, gf.Cell.BiasIh!), (gs.Cell.BiasHh!, gf.Cell.BiasHh!)] : []))
            Assert.True(MaxAbsDiff(e, a) < 1e-10, $"gradient differs by {MaxAbsDiff(e, a)}");
    }

    /// <summary>Weights used by two projecting nodes: the node swept second adds its weight gradients into the running
    /// sums the first started: for both weights (one paired product), or for one of them (separate products).</summary>
    [Theory]
    [InlineData(false, true, true)]
    [InlineData(true, true, true)]
    [InlineData(false, false, true)]
    [InlineData(true, true, false)]
    public void Lstm_sequences_sharing_weights_add_their_weight_gradients(bool reverse, bool shareIh, bool shareHh)
    {
        var cell = LstmCell.Create(5, 7, new Random(3), DType.Float64);
        Tensor x1 = Normal(1, DType.Float64, 4, 3, 5), x2 = Normal(2, DType.Float64, 6, 3, 5), h0 = Normal(3, DType.Float64, 3, 7), c0 = Normal(4, DType.Float64, 3, 7);
        // The second node's own W_ih and W_hh, for the weights it does not share.
        (LstmCell C, Tensor Ih, Tensor Hh) weights = (cell, Normal(9, DType.Float64, 28, 5), Normal(10, DType.Float64, 28, 7));
        Tensor Part((LstmCell C, Tensor Ih, Tensor Hh) p, Tensor x, int which)
        {
            var (ys, h, cn) = LstmSequence(x, h0, c0, which == 1 || shareIh ? p.C.WeightIh : p.Ih, which == 1 || shareHh ? p.C.WeightHh : p.Hh,
                p.C.BiasIh, p.C.BiasHh, reverse);
            return Loss(ys, h, cn, 10 * which);
        }
        var both = Ad.Grad(((LstmCell C, Tensor Ih, Tensor Hh) p) => Part(p, x1, 1) + Part(p, x2, 2), weights);
        var first = Ad.Grad(((LstmCell C, Tensor Ih, Tensor Hh) p) => Part(p, x1, 1), weights);
        var second = Ad.Grad(((LstmCell C, Tensor Ih, Tensor Hh) p) => Part(p, x2, 2), weights);
        foreach (var (e1, e2, a) in new[]
        {
            (first.C.WeightHh, second.C.WeightHh, both.C.WeightHh), (first.C.WeightIh, second.C.WeightIh, both.C.WeightIh),
            (first.Ih, second.Ih, both.Ih), (first.Hh, second.Hh, both.Hh), (first.C.BiasHh!, second.C.BiasHh!, both.C.BiasHh!),
        })
            Assert.True(MaxAbsDiff(e1 + e2, a) < 1e-12, $"gradient differs by {MaxAbsDiff(e1 + e2, a)}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gru_sequence_matches_the_scan_in_float32(bool reverse)
    {
        var cell = GruCell.Create(16, 40, new Random(5));
        Tensor x = Normal(1, DType.Float32, 12, 8, 16), h0 = Normal(2, DType.Float32, 8, 40);
        var (lf, gf) = Gru(cell, x, h0, reverse, fused: true);
        var (ls, gs) = Gru(cell, x, h0, reverse, fused: false);
        Assert.Equal(DType.Float32, lf.DType);
        Assert.Equal(ls.Item(), lf.Item(), 1e-4); // a sum of ~10⁴ float32 terms that largely cancel
        foreach (var (e, a) in new[] { (gs.X, gf.X), (gs.H0, gf.H0), (gs.Cell.WeightHh, gf.Cell.WeightHh), (gs.Cell.BiasHh!, gf.Cell.BiasHh!) })
            Assert.True(MaxAbsDiff(e, a) < 1e-4, $"gradient differs by {MaxAbsDiff(e, a)}");
    }

    [Fact]
    public void Gru_sequence_of_no_steps_returns_the_initial_state_and_rejects_bad_shapes()
    {
        var cell = GruCell.Create(2, 3, new Random(1), DType.Float64);
        var h0 = Normal(2, DType.Float64, 2, 3);
        var (ys, h) = GruSequence(Tensor.Zeros(Shape.Of(0, 2, 9), DType.Float64), h0, cell.WeightHh, cell.BiasHh);
        Assert.Equal(Shape.Of(0, 2, 3), ys.Shape);
        ScanTests.Close(h0, h, 15);
        var e = Assert.Throws<ShapeMismatchException>(() => GruSequence(Tensor.Zeros(Shape.Of(3, 2, 12)), h0, cell.WeightHh));
        Assert.Contains("[3, 2, 12]", e.Message);
    }
}
