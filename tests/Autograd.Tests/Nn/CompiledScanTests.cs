using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

/// <summary>The traced scan (one <c>scan</c> node running the step's program) against the unrolled loop it replaces
/// (<see cref="ScanOptions.Unroll"/>): same values and gradients, for steps that use every operation it compiles.</summary>
public class CompiledScanTests
{
    private const int T = 5, B = 3, D = 4, H = 6;

    private static Tensor R(int seed, params int[] shape) => Tensor.RandomNormal(Shape.Of(shape), seed, std: 0.5, dtype: DType.Float64);

    /// <summary>Weights every cell below may read: W [4H, D], U [4H, H], b, c [4H], M [D, 2H], N [H, 2H], v [H], Q [H, H].</summary>
    private sealed record Weights(Tensor W, Tensor U, Tensor Bi, Tensor Bh, Tensor M, Tensor N, Tensor V, Tensor Q);

    private static readonly Weights P = new(R(1, 4 * H, D), R(2, 4 * H, H), R(3, 4 * H), R(4, 4 * H), R(5, D, 2 * H), R(6, H, 2 * H), R(7, H), R(13, H, H));
    private static readonly Tensor Xs = R(8, T, B, D), H0 = R(9, B, H), C0 = R(10, B, H);

    private static void Near(Tensor expected, Tensor actual, double tolerance = 1e-9)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], a[i], tolerance * (1 + Math.Abs(e[i])));
    }

    private delegate ((Tensor H, Tensor C) Carry, Tensor Y) Cell(Weights p, (Tensor H, Tensor C) s, Tensor x);

    /// <summary>Cells written from public ops, as users write them.</summary>
    private static readonly Dictionary<string, Cell> Cells = new()
    {
        // PyTorch's LSTM equations: affine maps of x and h, four chunks of the last axis, σ/tanh, products.
        ["lstm"] = (p, s, x) =>
        {
            var g = Chunk(Affine(x, p.W, p.Bi) + Affine(s.H, p.U, p.Bh), 4, axis: -1);
            var c1 = Sigmoid(g[1]) * s.C + Sigmoid(g[0]) * Tanh(g[2]);
            var h1 = Sigmoid(g[3]) * Tanh(c1);
            return ((h1, c1), h1);
        },
        // A GRU-like update with matmuls, a scalar 1 − z, a row vector v broadcast over the batch, and y = the carry.
        ["gru-like"] = (p, s, x) =>
        {
            var zr = Split(MatMul(x, p.M) + MatMul(s.H, p.N), [H, H], axis: -1);
            var z = Sigmoid(zr[0]);
            var n = Tanh(zr[1] * p.V - s.C);
            var h1 = (1.0 - z) * n + z * s.H;
            return ((h1, s.C), s.H);
        },
        // Products added to a carry (computed onto it), one weight used by two products, y = the new carry.
        ["residual"] = (p, s, x) =>
        {
            var h1 = Tanh(Affine(s.H, p.Q, p.V) + s.H);
            var c1 = s.C + MatMul(h1, p.Q) + Slice(MatMul(x, p.M), -1, 0, H);
            return ((h1, c1 * 0.5), c1);
        },
        // The LSTM with U h first and y = x_t: x_t's cotangent holds y's when the paired products add theirs.
        ["lstm-hx"] = (p, s, x) =>
        {
            var g = Chunk(Affine(s.H, p.U, p.Bh) + Affine(x, p.W, p.Bi), 4, axis: -1);
            var c1 = Sigmoid(g[1]) * s.C + Sigmoid(g[0]) * Tanh(g[2]);
            return ((Sigmoid(g[3]) * Tanh(c1), c1), x);
        },
        // A chunked sum that is also used whole (y): its pieces' cotangents add to y's, they do not replace it.
        ["chunk-and-whole"] = (p, s, x) =>
        {
            var a = MatMul(x, p.M) + MatMul(s.H, p.N);
            var g = Chunk(a, 2, axis: -1);
            return ((Tanh(g[0]) * Sigmoid(g[1]), s.C * Sigmoid(g[1])), a * 0.5);
        },
        // ReLU, exp, neg; carries swapped; y is x itself; the output is a product with an external constant.
        ["swap"] = (p, s, x) =>
        {
            var a = Relu(Affine(x, p.W) - 1.0);
            var e = Exp(Neg(Slice(a, -1, 0, H)) * 0.5);
            return ((s.C, Tanh(s.H + e * p.V)), x);
        },
        // Sums that read their operands' cotangents in place: n is also read elsewhere (it gets the sum's cotangent
        // added, not shared), and the sum of a sum shares the outer one's.
        ["sums"] = (p, s, x) =>
        {
            var n = Tanh(Affine(s.H, p.Q, p.V) + Slice(MatMul(x, p.M), -1, 0, H));
            var h1 = n + Sigmoid(s.C) * n;
            var c1 = (s.C * n + Tanh(s.C)) + Neg(h1);
            return ((h1, c1), h1 * n);
        },
    };

    public static TheoryData<string, bool> CellsAndDirections =>
        new() { { "lstm", false }, { "lstm", true }, { "gru-like", false }, { "gru-like", true }, { "swap", false }, { "swap", true }, { "residual", false }, { "residual", true }, { "chunk-and-whole", false }, { "chunk-and-whole", true },
            { "lstm-hx", false }, { "lstm-hx", true }, { "sums", false }, { "sums", true } };

    private static Tensor Loss(Cell cell, Weights p, Tensor xs, Tensor h0, Tensor c0, ScanOptions options, out Tensor ys)
    {
        var r = xs.Scan((H: h0, C: c0), (s, x) => cell(p, s, x), options);
        ys = r.Ys;
        return Sum(r.Ys * r.Ys) + 3.0 * Sum(r.Final.H) + Sum(Sigmoid(r.Final.C));
    }

    [Theory]
    [MemberData(nameof(CellsAndDirections))]
    public void A_traced_step_is_one_scan_node_with_the_unrolled_loops_values_and_gradients(string name, bool reverse)
    {
        var cell = Cells[name];
        var compiled = Loss(cell, P, Xs, H0, C0, new ScanOptions(Reverse: reverse), out var ys);
        var unrolled = Loss(cell, P, Xs, H0, C0, new ScanOptions(Reverse: reverse, Unroll: true), out var ysUnrolled);
        Assert.Single(Graph.Nodes(compiled), n => n.Op?.Name == "scan");
        Assert.DoesNotContain(Graph.Nodes(unrolled), n => n.Op?.Name == "scan");
        Near(ysUnrolled, ys);
        Near(unrolled, compiled);

        var inputs = (P, Xs, H0, C0);
        var g1 = Ad.Grad(((Weights P, Tensor X, Tensor H, Tensor C) q) => Loss(cell, q.P, q.X, q.H, q.C, new ScanOptions(Reverse: reverse), out _), inputs);
        var g2 = Ad.Grad(((Weights P, Tensor X, Tensor H, Tensor C) q) => Loss(cell, q.P, q.X, q.H, q.C, new ScanOptions(Reverse: reverse, Unroll: true), out _), inputs);
        var (a, e) = (Tree.Flatten(g1), Tree.Flatten(g2));
        Assert.Equal(e.Count, a.Count);
        for (int i = 0; i < a.Count; i++) Near(e[i], a[i]);
        // The cells read most weights: the comparison is not between two zero gradients.
        Assert.True(Tree.Flatten(g2).Count(g => g.ToDoubleArray().Any(v => v != 0)) >= 4);
    }

    [Theory]
    [InlineData(false, 8)]
    [InlineData(true, 8)]
    [InlineData(false, 72)] // x_t wider than Gemm.StepProjectionDepth: its product is hoisted out of the loop
    [InlineData(true, 72)]
    public void A_batch_large_enough_to_run_as_two_halves_matches_the_unrolled_loop(bool reverse, int d)
    {
        // B = 32 and H = 128 put a step's products over the size from which the scan splits the batch between two cores.
        // A row vector v and a scalar are used inside the step, so both halves add into the same externals' cotangents.
        const int b = 32, h = 128;
        var w = (W: R(21, 4 * h, d), U: R(22, 4 * h, h), Bias: R(23, 4 * h), V: R(24, h));
        var xs = R(25, 3, b, d);
        Tensor F((Tensor W, Tensor U, Tensor Bias, Tensor V) p, Tensor x, Tensor h0, bool unroll)
        {
            var r = x.Scan((H: h0, C: h0), (s, xt) =>
            {
                var g = Chunk(Affine(xt, p.W, p.Bias) + Affine(s.H, p.U), 4, axis: -1);
                var c1 = Sigmoid(g[1]) * s.C + Sigmoid(g[0]) * Tanh(g[2]) + p.V * s.C * 0.1;
                return ((Sigmoid(g[3]) * Tanh(c1) - 0.5, c1), c1 * p.V);
            }, new ScanOptions(Reverse: reverse, Unroll: unroll));
            return Sum(r.Ys * r.Ys) + Sum(r.Final.H);
        }
        var inputs = (w, xs, R(26, b, h));
        var g1 = Tree.Flatten(Ad.Grad((((Tensor W, Tensor U, Tensor Bias, Tensor V) P, Tensor X, Tensor H) q) => F(q.P, q.X, q.H, false), inputs));
        var g2 = Tree.Flatten(Ad.Grad((((Tensor W, Tensor U, Tensor Bias, Tensor V) P, Tensor X, Tensor H) q) => F(q.P, q.X, q.H, true), inputs));
        Assert.Single(Graph.Nodes(F(w, xs, inputs.Item3, false)), n => n.Op?.Name == "scan");
        Near(F(w, xs, inputs.Item3, true), F(w, xs, inputs.Item3, false));
        for (int i = 0; i < g1.Count; i++) Near(g2[i], g1[i]);
    }

    [Theory]
    [InlineData(3, 6, false, false)]
    [InlineData(3, 6, true, false)]
    [InlineData(32, 192, false, false)] // two halves on two cores (32 · 192 · 192 multiply-adds per step)
    [InlineData(3, 6, false, true)]
    [InlineData(32, 192, true, true)]
    public void A_product_feeding_only_a_carry_the_next_step_does_not_read_gets_its_gradient_from_the_last_step_alone(int b, int h, bool reverse, bool chunk)
    {
        // c' = 2 x_t W2ᵀ never reads c: the product's cotangent exists at the last step processed only (from the final c),
        // and the other steps' rows of its per-step buffer, a pooled array filled with NaN here, must count as zero. With
        // `chunk`, c' is the second half of a chunked sum instead, whose first half makes h': that piece of the sum's
        // cotangent is zero at those steps.
        var w = (W: R(31, h, D), U: R(32, h, h), W2: R(33, h, D));
        var xs = R(34, T, b, D);
        var (h0, c0) = (R(35, b, h), R(36, b, h));
        Tensor F((Tensor W, Tensor U, Tensor W2) p, bool unroll)
        {
            var (wc, uc) = (Concat([p.W, p.W2], 0), Concat([p.U, p.U], 0));
            ((Tensor, Tensor), Tensor) Step((Tensor H, Tensor C) s, Tensor x)
            {
                if (!chunk) return ((Tanh(Affine(x, p.W) + Affine(s.H, p.U)), Affine(x, p.W2) * 2.0), s.H);
                var g = Chunk(Affine(x, wc) + Affine(s.H, uc), 2, axis: -1);
                return ((Tanh(g[0]), g[1] * 2.0), s.H);
            }
            var r = xs.Scan((H: h0, C: c0), Step, new ScanOptions(Reverse: reverse, Unroll: unroll));
            return Sum(r.Ys) + Sum(r.Final.C * r.Final.C) + Sum(r.Final.H);
        }
        Assert.Single(Graph.Nodes(F(w, false)), n => n.Op?.Name == "scan");
        var expected = Tree.Flatten(Ad.Grad(((Tensor W, Tensor U, Tensor W2) p) => F(p, true), w));
        var rented = Enumerable.Range(0, 64).Select(_ => System.Buffers.ArrayPool<double>.Shared.Rent(T * b * h)).ToList();
        foreach (var a in rented) Array.Fill(a, double.NaN);
        foreach (var a in rented) System.Buffers.ArrayPool<double>.Shared.Return(a);
        var actual = Tree.Flatten(Ad.Grad(((Tensor W, Tensor U, Tensor W2) p) => F(p, false), w));
        for (int i = 0; i < expected.Count; i++) Near(expected[i], actual[i]);
        Assert.Contains(expected[2].ToDoubleArray(), v => v != 0);
    }

    [Fact]
    public void The_scan_nodes_rule_is_pure_swept_twice_and_from_two_threads_it_returns_the_same_gradients()
    {
        var (y, pullback) = Ad.Vjp(((Weights P, Tensor X) q) => Loss(Cells["lstm"], q.P, q.X, H0, C0, new ScanOptions(), out _), (P, Xs));
        var seed = Tensor.OnesLike(y);
        var first = Tree.Flatten(pullback(seed));
        var concurrent = new List<Tensor>[4];
        Parallel.For(0, concurrent.Length, i => concurrent[i] = Tree.Flatten(pullback(seed)));
        foreach (var again in concurrent.Append(Tree.Flatten(pullback(seed))))
            for (int i = 0; i < first.Count; i++) Assert.Equal(first[i].ToDoubleArray(), again[i].ToDoubleArray());
    }

    [Fact]
    public void Values_kept_in_pooled_arrays_outlive_collections_while_the_graph_is_reachable()
    {
        // The scan and lstm_sequence nodes keep their values in arrays rented from the shared pool, given back by a
        // finalizer. While the pullback can still run, collections must not give them back: the pool would hand them to
        // the next renter, whose writes (here: every array of those sizes it has, filled with NaN) would reach the rule.
        var p = (P, Xs);
        var expected = Tree.Flatten(Ad.Grad(((Weights P, Tensor X) q) => Loss(Cells["lstm"], q.P, q.X, H0, C0, new ScanOptions(), out _), p));
        var (y, pullback) = Ad.Vjp(((Weights P, Tensor X) q) => Loss(Cells["lstm"], q.P, q.X, H0, C0, new ScanOptions(), out _), p);
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        var rented = Enumerable.Range(0, 64).Select(_ => System.Buffers.ArrayPool<double>.Shared.Rent(T * B * H)).ToList();
        foreach (var a in rented) Array.Fill(a, double.NaN);
        foreach (var a in rented) System.Buffers.ArrayPool<double>.Shared.Return(a);
        var actual = Tree.Flatten(pullback(Tensor.OnesLike(y)));
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].ToDoubleArray(), actual[i].ToDoubleArray());
    }

    [Fact]
    public void Float32_steps_compile_too_and_match_the_unrolled_loop_to_float_precision()
    {
        var p32 = Tree.Rebuild(P, Tree.Flatten(P).Select(t => Cast(t, DType.Float32)).ToList());
        Tensor F(Weights p, Tensor x, bool unroll) => Loss(Cells["lstm"], p, x, Cast(H0, DType.Float32), Cast(C0, DType.Float32), new ScanOptions(Unroll: unroll), out _);
        var x32 = Cast(Xs, DType.Float32);
        Assert.Single(Graph.Nodes(F(p32, x32, false)), n => n.Op?.Name == "scan");
        Assert.Equal(F(p32, x32, true).Item(), F(p32, x32, false).Item(), 4);
        var g1 = Tree.Flatten(Ad.Grad((Weights p) => F(p, x32, false), p32));
        var g2 = Tree.Flatten(Ad.Grad((Weights p) => F(p, x32, true), p32));
        for (int i = 0; i < g1.Count; i++) ScanTests.Close(g2[i], g1[i], digits: 4);
    }

    [Fact]
    public void A_step_with_an_operation_the_scan_does_not_compile_is_unrolled_with_the_same_result()
    {
        // Softmax is not among the compiled operations: the scan records the loop step by step instead.
        ((Tensor H, Tensor C), Tensor) Step((Tensor H, Tensor C) s, Tensor x) => ((Softmax(MatMul(x, P.M) + s.H, -1), s.C), s.H);
        var h0 = R(11, B, 2 * H);
        var r = Xs.Scan((h0, C0), Step);
        var u = Xs.Scan((h0, C0), Step, new ScanOptions(Unroll: true));
        Assert.DoesNotContain(Graph.Nodes(r.Ys), n => n.Op?.Name == "scan");
        Assert.Contains(Graph.Nodes(r.Ys), n => n.Op?.Name == "softmax");
        ScanTests.Close(u.Ys, r.Ys);
    }

    [Fact]
    public void The_step_is_called_once_when_compiled_and_T_times_when_unrolled()
    {
        int calls = 0;
        var h0 = R(12, B, D);
        (Tensor, Tensor) Compilable(Tensor h, Tensor x) { calls++; return (Tanh(h + x), h); }
        (Tensor, Tensor) NotCompilable(Tensor h, Tensor x) { calls++; return (Softmax(h + x, -1), h); }
        Xs.Scan(h0, Compilable);
        Assert.Equal(1, calls);
        calls = 0;
        Xs.Scan(h0, Compilable, new ScanOptions(Unroll: true));
        Assert.Equal(T, calls);
        // The unrolled loop starts from the trace's own first step instead of running it again.
        calls = 0;
        Xs.Scan(h0, NotCompilable);
        Assert.Equal(T, calls);
    }

    [Fact]
    public void A_carry_passed_through_unchanged_is_the_initial_tensor_compiled_or_not()
    {
        var compiled = Xs.Scan((H: H0, C: C0), (s, x) => ((Tanh(Slice(Affine(x, P.W), -1, 0, H) + 1.0), s.C), s.H));
        var unrolled = Xs.Scan((H: H0, C: C0), (s, x) => ((Softmax(Slice(Affine(x, P.W), -1, 0, H), -1), s.C), s.H));
        Assert.Single(Graph.Nodes(compiled.Ys), n => n.Op?.Name == "scan");
        Assert.Same(C0, compiled.Final.C);
        Assert.Same(C0, unrolled.Final.C);
    }

    [Fact]
    public void A_step_that_changes_its_carrys_shape_is_unrolled_and_fails_there_as_before()
    {
        // The trace sees the carry change shape and hands the step to the unrolled loop, which names the problem.
        var grow = Assert.Throws<ShapeMismatchException>(() => Xs.Scan(H0, (h, x) => (Concat([h, h], -1), h)));
        Assert.Contains("Scan: step 1 returned an output of shape [3, 12]", grow.Message);
    }
}
