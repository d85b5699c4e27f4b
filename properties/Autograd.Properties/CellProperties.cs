using System.Collections.Immutable;
using Autograd.Nn;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Autograd.Properties;

/// <summary>Sizes of a recurrent case (T steps, batch B, D inputs, H hidden) and the seed of every value in it.</summary>
public sealed record CellCase(int T, int B, int D, int H, int Seed)
{
    public override string ToString() => $"T={T}, B={B}, D={D}, H={H}, seed={Seed}";
}

/// <summary>What a cell property differentiates: the cell's parameters, the input sequence [T, B, D] and the initial carry.</summary>
public sealed record CellProblem<TCell, TCarry>(TCell Cell, Tensor Xs, TCarry Init);

/// <summary>What a layer property differentiates: the layer's parameters, x [T, B, D], h0 and (LSTM) c0 [L·ND, B, H].</summary>
public sealed record LayerProblem<TLayer>(TLayer Layer, Tensor X, Tensor H0, Tensor? C0);

/// <summary>
/// Properties of the recurrent cells and layers, in float64 over random small sizes: gradients through <c>Scan</c>
/// match central differences with respect to every parameter, the input sequence and the initial state; a cell a user
/// composes from public ops equals the built-in one; TBPTT with one chunk is BPTT; a batch is B independent rows.
/// </summary>
public sealed class CellProperties
{
    private const int MaxTest = 20;

    // A relu pre-activation closer than this to 0 could change sides under the ±ε (≈1e-6·|u|) of a central difference,
    // where relu has a kink: such draws are skipped by moving to the next seed, so a failure is never a kink artefact.
    private const double ReluMargin = 2e-3;

    /// <summary>Cases with sizes T 1..maxT, B 1..3, D 1..4, H 1..4, shrinking each size toward 1 with the seed kept.</summary>
    internal static Arbitrary<CellCase> Cases(int maxT) => Arb.From(
        from t in Gen.Choose(1, maxT)
        from b in Gen.Choose(1, 3)
        from d in Gen.Choose(1, 4)
        from h in Gen.Choose(1, 4)
        from seed in Gen.Choose(0, 1_000_000_000)
        select new CellCase(t, b, d, h, seed),
        c => new[]
        {
            c with { T = 1 }, c with { T = c.T - 1 }, c with { B = 1 }, c with { B = c.B - 1 },
            c with { D = 1 }, c with { D = c.D - 1 }, c with { H = 1 }, c with { H = c.H - 1 },
        }.Where(s => s.T >= 1 && s.B >= 1 && s.D >= 1 && s.H >= 1 && s != c).Distinct());

    private static Tensor Uniform(Random rng, params int[] shape) => Tensor.RandomUniform(Shape.Of(shape), rng, -2, 2, DType.Float64);

    /// <summary>Σ⟨R, outputs⟩ + Σ⟨R', final carry tensors⟩ with fixed random R drawn from <paramref name="rng"/>.</summary>
    private static Func<CellProblem<TCell, TCarry>, Tensor> ScanLoss<TCell, TCarry>(CellProblem<TCell, TCarry> at, Random rng)
        where TCell : IRecurrentCell<TCarry>
    {
        var first = at.Xs.Scan(at.Init, at.Cell.Step);
        var r = Tensor.RandomNormal(first.Ys.Shape, rng, dtype: DType.Float64);
        var rFinal = Tree.Flatten(first.Final).Select(f => Tensor.RandomNormal(f.Shape, rng, dtype: DType.Float64)).ToList();
        return p =>
        {
            var s = p.Xs.Scan(p.Init, p.Cell.Step);
            var loss = Sum(s.Ys * r);
            var finals = Tree.Flatten(s.Final);
            for (int i = 0; i < finals.Count; i++) loss = loss + Sum(finals[i] * rFinal[i]);
            return loss;
        };
    }

    /// <summary>The smallest |pre-activation| of a relu cell scanned over xs from h0 (reverse: t = T−1..0), and its outputs [T, B, H].</summary>
    internal static (double Margin, Tensor Ys) ReluPreactivations(RnnCell cell, Tensor xs, Tensor h0, bool reverse = false)
    {
        double margin = double.PositiveInfinity;
        int steps = xs.Shape[0];
        var ys = new Tensor[steps];
        var h = h0;
        for (int i = 0; i < steps; i++)
        {
            int t = reverse ? steps - 1 - i : i;
            var pre = Affine(Index(xs, t), cell.WeightIh, cell.BiasIh) + Affine(h, cell.WeightHh, cell.BiasHh);
            margin = Math.Min(margin, pre.ToDoubleArray().Min(Math.Abs));
            ys[t] = h = Relu(pre);
        }
        return (margin, Stack(ys));
    }

    /// <summary>The smallest |pre-activation| in a stacked relu layer (layout as <see cref="Rnn"/>).</summary>
    private static double ReluPreactivations(Rnn layer, Tensor x, Tensor h0)
    {
        double margin = double.PositiveInfinity;
        int nd = layer.Options.NumDirections;
        var input = x;
        for (int l = 0; l < layer.Options.NumLayers; l++)
        {
            var outs = new Tensor[nd];
            for (int d = 0; d < nd; d++)
            {
                var (m, ys) = ReluPreactivations(layer.Cells[l * nd + d], input, Index(h0, l * nd + d), reverse: d == 1);
                margin = Math.Min(margin, m);
                outs[d] = ys;
            }
            input = Concat(outs, axis: 2);
        }
        return margin;
    }

    /// <summary>Draws a problem from seed, seed + 1, ... until <paramref name="valid"/> accepts it (relu margins), deterministically.</summary>
    private static (T Problem, int Seed) Draw<T>(int seed, Func<Random, T> make, Func<T, bool>? valid)
    {
        for (int s = seed; s < seed + 200; s++)
        {
            var p = make(new Random(s));
            if (valid is null || valid(p)) return (p, s);
        }
        throw new InvalidOperationException($"no draw with relu pre-activations at least {ReluMargin} from 0 in 200 seeds from {seed}");
    }

    /// <summary>GradCheck of <see cref="ScanLoss"/> for one case, with respect to the cell, the inputs and the initial carry.</summary>
    private static (bool Passed, string Label) CheckCell<TCell, TCarry>(CellCase c, Func<CellCase, Random, TCell> makeCell,
        Func<CellCase, Random, TCarry> makeInit, Func<CellProblem<TCell, TCarry>, bool>? valid = null)
        where TCell : IRecurrentCell<TCarry>
    {
        var (p, seed) = Draw(c.Seed, rng => new CellProblem<TCell, TCarry>(makeCell(c, rng), Uniform(rng, c.T, c.B, c.D), makeInit(c, rng)), valid);
        var loss = ScanLoss(p, new Random(~seed));
        // Alternate the modes: element by element on even seeds (auto falls back to random directions above 200 elements).
        var options = GradCheckOptions.Default with { Seed = seed, Mode = seed % 2 == 0 ? GradCheckMode.Auto : GradCheckMode.RandomDirection };
        var report = GradCheck.Check(loss, p, options);
        return (report.Passed, $"{c} (drawn from seed {seed})\n{report}");
    }

    private static Property CellGradient<TCell, TCarry>(Func<CellCase, Random, TCell> makeCell, Func<CellCase, Random, TCarry> makeInit,
        Func<CellProblem<TCell, TCarry>, bool>? valid = null)
        where TCell : IRecurrentCell<TCarry> => Prop.ForAll(Cases(4), c =>
        {
            var (passed, label) = CheckCell(c, makeCell, makeInit, valid);
            return passed.Label(label);
        });

    [Property(MaxTest = MaxTest)]
    public Property Rnn_tanh_cell_gradients_match_central_differences() => CellGradient(
        (c, rng) => RnnCell.Create(c.D, c.H, rng, DType.Float64), (c, rng) => Uniform(rng, c.B, c.H));

    [Property(MaxTest = MaxTest)]
    public Property Rnn_relu_cell_gradients_match_central_differences() => CellGradient(
        (c, rng) => RnnCell.Create(c.D, c.H, rng, DType.Float64, nonlinearity: RnnNonlinearity.Relu), (c, rng) => Uniform(rng, c.B, c.H),
        p => ReluPreactivations(p.Cell, p.Xs, p.Init).Margin >= ReluMargin);

    [Property(MaxTest = MaxTest)]
    public Property Lstm_cell_gradients_match_central_differences() => CellGradient(
        (c, rng) => LstmCell.Create(c.D, c.H, rng, DType.Float64), (c, rng) => new LstmState(Uniform(rng, c.B, c.H), Uniform(rng, c.B, c.H)));

    [Property(MaxTest = MaxTest)]
    public Property Gru_cell_gradients_match_central_differences() => CellGradient(
        (c, rng) => GruCell.Create(c.D, c.H, rng, DType.Float64), (c, rng) => Uniform(rng, c.B, c.H));

    /// <summary>An Elman cell whose activation is given: with a tanh carrying a wrong derivative it is a negative control.</summary>
    public sealed record ActivationRnn(RnnCell Inner, [property: NonDifferentiable] Func<Tensor, Tensor> Act) : IRecurrentCell<Tensor>
    {
        public int InputSize => Inner.InputSize;
        public int HiddenSize => Inner.HiddenSize;
        public Tensor ProjectInput(Tensor x) => Inner.ProjectInput(x);
        public (Tensor Carry, Tensor Y) StepProjected(Tensor h, Tensor xProjected)
        {
            var h1 = Act(xProjected + Affine(h, Inner.WeightHh, Inner.BiasHh));
            return (h1, h1);
        }
        public (Tensor Carry, Tensor Y) Step(Tensor h, Tensor x) => StepProjected(h, ProjectInput(x));
        public IReadOnlyList<(string Name, Tensor Value)> NamedParameters() => Inner.NamedParameters();
    }

    [Fact]
    public void The_cell_check_catches_a_wrong_derivative_inside_a_step_and_passes_the_right_one()
    {
        var good = Ad.CustomVjp("tanh_good", Tanh, (x, y, g) => g * (1.0 - y * y));
        var wrong = Ad.CustomVjp("tanh_1_minus_y", Tanh, (x, y, g) => g * (1.0 - y));
        foreach (var c in new[] { new CellCase(1, 1, 1, 1, 1), new CellCase(3, 2, 3, 2, 2), new CellCase(4, 3, 4, 4, 3) })
        {
            var ok = CheckCell(c, (c, rng) => new ActivationRnn(RnnCell.Create(c.D, c.H, rng, DType.Float64), good), (c, rng) => Uniform(rng, c.B, c.H));
            var bad = CheckCell(c, (c, rng) => new ActivationRnn(RnnCell.Create(c.D, c.H, rng, DType.Float64), wrong), (c, rng) => Uniform(rng, c.B, c.H));
            Assert.True(ok.Passed, ok.Label);
            Assert.False(bad.Passed, bad.Label);
        }
    }

    // ---- Stacked layers: 2 layers, bidirectional, T 1..3 ----

    private static readonly RecurrentOptions TwoLayersBidirectional = new(NumLayers: 2, Bidirectional: true);

    /// <summary>Σ⟨R, output⟩ + Σ⟨R', each final state⟩ with fixed random R.</summary>
    private static Func<LayerProblem<TLayer>, Tensor> LayerLoss<TLayer>(LayerProblem<TLayer> at, Func<LayerProblem<TLayer>, Tensor[]> forward, Random rng)
    {
        var rs = forward(at).Select(o => Tensor.RandomNormal(o.Shape, rng, dtype: DType.Float64)).ToArray();
        return p =>
        {
            var outs = forward(p);
            var loss = Sum(outs[0] * rs[0]);
            for (int i = 1; i < outs.Length; i++) loss = loss + Sum(outs[i] * rs[i]);
            return loss;
        };
    }

    private static Property LayerGradient<TLayer>(Func<CellCase, Random, TLayer> makeLayer, bool withC0, Func<LayerProblem<TLayer>, Tensor[]> forward,
        Func<LayerProblem<TLayer>, bool>? valid = null) => Prop.ForAll(Cases(3), c =>
        {
            int states = TwoLayersBidirectional.NumLayers * TwoLayersBidirectional.NumDirections;
            var (p, seed) = Draw(c.Seed, rng => new LayerProblem<TLayer>(makeLayer(c, rng), Uniform(rng, c.T, c.B, c.D),
                Uniform(rng, states, c.B, c.H), withC0 ? Uniform(rng, states, c.B, c.H) : null), valid);
            var loss = LayerLoss(p, forward, new Random(~seed));
            // Hundreds of parameters: random directions (per input and over all inputs at once) keep this quick.
            var options = GradCheckOptions.Default with { Seed = seed, Mode = GradCheckMode.RandomDirection, Probes = 3 };
            var report = GradCheck.Check(loss, p, options);
            return report.Passed.Label($"{c} (drawn from seed {seed})\n{report}");
        });

    [Property(MaxTest = MaxTest)]
    public Property Bidirectional_two_layer_lstm_gradients_match_central_differences() => LayerGradient(
        (c, rng) => Lstm.Create(c.D, c.H, rng, TwoLayersBidirectional, DType.Float64), withC0: true,
        p => { var (o, h, cn) = p.Layer.Forward(p.X, p.H0, p.C0); return [o, h, cn]; });

    [Property(MaxTest = MaxTest)]
    public Property Bidirectional_two_layer_gru_gradients_match_central_differences() => LayerGradient(
        (c, rng) => Gru.Create(c.D, c.H, rng, TwoLayersBidirectional, DType.Float64), withC0: false,
        p => { var (o, h) = p.Layer.Forward(p.X, p.H0); return [o, h]; });

    [Property(MaxTest = MaxTest)]
    public Property Bidirectional_two_layer_rnn_tanh_gradients_match_central_differences() => LayerGradient(
        (c, rng) => Rnn.Create(c.D, c.H, rng, TwoLayersBidirectional, DType.Float64), withC0: false,
        p => { var (o, h) = p.Layer.Forward(p.X, p.H0); return [o, h]; });

    [Property(MaxTest = MaxTest)]
    public Property Bidirectional_two_layer_rnn_relu_gradients_match_central_differences() => LayerGradient(
        (c, rng) => Rnn.Create(c.D, c.H, rng, TwoLayersBidirectional, DType.Float64, nonlinearity: RnnNonlinearity.Relu), withC0: false,
        p => { var (o, h) = p.Layer.Forward(p.X, p.H0); return [o, h]; },
        p => ReluPreactivations(p.Layer, p.X, p.H0) >= ReluMargin);

    // ---- A user-composed LSTM equals the built-in one ----

    /// <summary>
    /// An LSTM cell as a user writes it from public ops only (MatMul, transpose, Slice, Sigmoid, Tanh, *, +), on the
    /// same weights as <see cref="LstmCell"/>: z = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh cut into blocks i, f, g, o;
    /// c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h' = σ(o) ⊙ tanh(c').
    /// </summary>
    public sealed record ComposedLstm(Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh)
    {
        public (LstmState Carry, Tensor Y) Step(LstmState s, Tensor x)
        {
            int n = Whh.Shape[1];
            var z = MatMul(x, Wih.T) + Bih + (MatMul(s.H, Whh.T) + Bhh);
            Tensor Block(int k) => Slice(z, 1, k * n, (k + 1) * n);
            var c1 = Sigmoid(Block(1)) * s.C + Sigmoid(Block(0)) * Tanh(Block(2));
            var h1 = Sigmoid(Block(3)) * Tanh(c1);
            return (new LstmState(h1, c1), h1);
        }
    }

    private static bool Within(Tensor expected, Tensor actual, double tolerance, out string why)
    {
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        why = "";
        if (!expected.Shape.Equals(actual.Shape)) { why = $"shape {actual.Shape} vs {expected.Shape}"; return false; }
        for (int i = 0; i < e.Length; i++)
            if (!(Math.Abs(e[i] - a[i]) <= tolerance * (1 + Math.Abs(e[i])))) { why = $"element {i}: {a[i]:R} vs {e[i]:R}"; return false; }
        return true;
    }

    [Property(MaxTest = MaxTest)]
    public Property A_user_composed_lstm_cell_equals_LstmCell_in_outputs_and_gradients() => Prop.ForAll(Cases(4), c =>
    {
        var rng = new Random(c.Seed);
        var cell = LstmCell.Create(c.D, c.H, rng, DType.Float64);
        var mine = new ComposedLstm(cell.WeightIh, cell.WeightHh, cell.BiasIh!, cell.BiasHh!);
        var xs = Uniform(rng, c.T, c.B, c.D);
        var init = new LstmState(Uniform(rng, c.B, c.H), Uniform(rng, c.B, c.H));
        var r = Tensor.RandomNormal(Shape.Of(c.T, c.B, c.H), rng, dtype: DType.Float64);
        var rc = Tensor.RandomNormal(Shape.Of(c.B, c.H), rng, dtype: DType.Float64);
        Tensor Loss(ScanResult<LstmState> s) => Sum(s.Ys * r) + Sum(s.Final.C * rc);

        var (builtInLoss, builtIn) = Ad.ValueAndGrad((CellProblem<LstmCell, LstmState> p) => Loss(p.Xs.Scan(p.Init, p.Cell.Step)), new(cell, xs, init));
        var (myLoss, my) = Ad.ValueAndGrad((CellProblem<ComposedLstm, LstmState> p) => Loss(p.Xs.Scan(p.Init, p.Cell.Step)), new(mine, xs, init));
        var ysBuiltIn = xs.Scan(init, cell.Step);
        var ysMine = xs.Scan(init, mine.Step);

        var pairs = new (string Name, Tensor Expected, Tensor Actual)[]
        {
            ("loss", builtInLoss, myLoss), ("ys", ysBuiltIn.Ys, ysMine.Ys), ("h_T", ysBuiltIn.Final.H, ysMine.Final.H), ("c_T", ysBuiltIn.Final.C, ysMine.Final.C),
            ("dW_ih", builtIn.Cell.WeightIh, my.Cell.Wih), ("dW_hh", builtIn.Cell.WeightHh, my.Cell.Whh),
            ("db_ih", builtIn.Cell.BiasIh!, my.Cell.Bih), ("db_hh", builtIn.Cell.BiasHh!, my.Cell.Bhh),
            ("dxs", builtIn.Xs, my.Xs), ("dh0", builtIn.Init.H, my.Init.H), ("dc0", builtIn.Init.C, my.Init.C),
        };
        foreach (var (name, e, a) in pairs)
            if (!Within(e, a, 1e-12, out var why)) return false.Label($"{c}: {name} differs, {why}");
        // Not vacuous: the gradients are not all zero.
        return builtIn.Cell.WeightHh.ToDoubleArray().Any(v => v != 0).Label($"{c}: dW_hh is all zeros");
    });

    // ---- TBPTT with one chunk is BPTT; a batch is B independent rows ----

    /// <summary>The four cell kinds as (name, cell maker, initial carry maker) over a common carry view: a tree of tensors.</summary>
    private static Property ForEachCell(Func<string, Func<CellCase, Random, IRecurrentCell<Tensor>>?, Func<CellCase, Random, LstmCell>?, CellCase, Property> body) =>
        Prop.ForAll(Cases(4), Arb.From(Gen.Choose(0, 3)), (c, kind) => kind switch
        {
            0 => body("RNN tanh", (c, rng) => RnnCell.Create(c.D, c.H, rng, DType.Float64), null, c),
            1 => body("RNN relu", (c, rng) => RnnCell.Create(c.D, c.H, rng, DType.Float64, nonlinearity: RnnNonlinearity.Relu), null, c),
            2 => body("GRU", (c, rng) => GruCell.Create(c.D, c.H, rng, DType.Float64), null, c),
            _ => body("LSTM", null, (c, rng) => LstmCell.Create(c.D, c.H, rng, DType.Float64), c),
        });

    private static bool AllWithin(IReadOnlyList<Tensor> expected, IReadOnlyList<Tensor> actual, double tolerance, out string why)
    {
        why = "";
        if (expected.Count != actual.Count) { why = $"{actual.Count} tensors, expected {expected.Count}"; return false; }
        for (int i = 0; i < expected.Count; i++)
            if (!Within(expected[i], actual[i], tolerance, out var w)) { why = $"tensor {i}: {w}"; return false; }
        return true;
    }

    /// <summary>TBPTT with k ≥ T is one chunk: its loss, final carry and gradient are those of plain BPTT through Scan.</summary>
    private static Property TbpttEqualsBptt<TCell, TCarry>(string name, CellCase c, int extra, Func<CellCase, Random, TCell> makeCell, Func<CellCase, Random, TCarry> makeInit)
        where TCell : IRecurrentCell<TCarry>
    {
        var rng = new Random(c.Seed);
        var cell = makeCell(c, rng);
        var xs = Uniform(rng, c.T, c.B, c.D);
        var init = makeInit(c, rng);
        var r = Tensor.RandomNormal(Shape.Of(c.T, c.B, c.H), rng, dtype: DType.Float64);
        (Tensor Loss, TCarry Carry) ChunkLoss(TCell p, Tensor x, TCarry h)
        {
            var s = x.Scan(h, p.Step);
            return (Sum(s.Ys * Slice(r, 0, 0, x.Shape[0])), s.Final);
        }
        var t = Tbptt.Run(xs, c.T + extra, cell, init, ChunkLoss);
        var (loss, final, grad) = Ad.ValueAndGrad((TCell p) => ChunkLoss(p, xs, init), cell);
        if (t.Chunks.Length != 1) return false.Label($"{name} {c}: {t.Chunks.Length} chunks for k = {c.T + extra}");
        var expected = new List<Tensor> { loss }.Concat(Tree.Flatten(final)).Concat(Tree.Flatten(grad)).ToList();
        var actual = new List<Tensor> { t.Chunks[0].Loss }.Concat(Tree.Flatten(t.Final)).Concat(Tree.Flatten(t.Chunks[0].Grad)).ToList();
        return AllWithin(expected, actual, 1e-12, out var why).Label($"{name} {c}, k = T + {extra}: {why}");
    }

    [Property(MaxTest = MaxTest)]
    public Property Tbptt_with_k_at_least_T_equals_full_bptt() => Prop.ForAll(Arb.From(Gen.Choose(0, 3)), extra =>
        ForEachCell((name, tensorCell, lstm, c) => lstm is null
            ? TbpttEqualsBptt(name, c, extra, tensorCell!, (c, rng) => Uniform(rng, c.B, c.H))
            : TbpttEqualsBptt(name, c, extra, lstm, (c, rng) => new LstmState(Uniform(rng, c.B, c.H), Uniform(rng, c.B, c.H)))));

    /// <summary>Scanning a batch of B equals B scans of batch 1 (outputs and final carry, row by row), and the gradient of
    /// the batch's loss is the sum of the rows' gradients.</summary>
    private static Property BatchEqualsRows<TCell, TCarry>(string name, CellCase c, Func<CellCase, Random, TCell> makeCell, Func<CellCase, Random, TCarry> makeInit,
        Func<TCarry, int, TCarry> rowOf)
        where TCell : IRecurrentCell<TCarry>
    {
        var rng = new Random(c.Seed);
        var cell = makeCell(c, rng);
        var xs = Uniform(rng, c.T, c.B, c.D);
        var init = makeInit(c, rng);
        var r = Tensor.RandomNormal(Shape.Of(c.T, c.B, c.H), rng, dtype: DType.Float64);
        Tensor Loss(TCell p, Tensor x, TCarry h, Tensor weights) => Sum(x.Scan(h, p.Step).Ys * weights);

        var batch = xs.Scan(init, cell.Step);
        var batchGrad = Tree.Flatten(Ad.Grad((TCell p) => Loss(p, xs, init, r), cell));
        var rowGradSum = batchGrad.Select(Tensor.ZerosLike).ToList();
        for (int b = 0; b < c.B; b++)
        {
            var (xb, hb, rb) = (Slice(xs, 1, b, b + 1), rowOf(init, b), Slice(r, 1, b, b + 1));
            var row = xb.Scan(hb, cell.Step);
            var expected = new List<Tensor> { row.Ys }.Concat(Tree.Flatten(row.Final)).ToList();
            var actual = new List<Tensor> { Slice(batch.Ys, 1, b, b + 1) }.Concat(Tree.Flatten(rowOf(batch.Final, b))).ToList();
            if (!AllWithin(expected, actual, 1e-12, out var why)) return false.Label($"{name} {c}, row {b}: {why}");
            var g = Tree.Flatten(Ad.Grad((TCell p) => Loss(p, xb, hb, rb), cell));
            for (int i = 0; i < g.Count; i++) rowGradSum[i] = rowGradSum[i] + g[i];
        }
        return AllWithin(rowGradSum, batchGrad, 1e-12, out var w).Label($"{name} {c}, gradient: {w}");
    }

    [Property(MaxTest = MaxTest)]
    public Property A_batch_of_B_equals_B_runs_of_batch_1() =>
        ForEachCell((name, tensorCell, lstm, c) => lstm is null
            ? BatchEqualsRows(name, c, tensorCell!, (c, rng) => Uniform(rng, c.B, c.H), (h, b) => Slice(h, 0, b, b + 1))
            : BatchEqualsRows(name, c, lstm, (c, rng) => new LstmState(Uniform(rng, c.B, c.H), Uniform(rng, c.B, c.H)),
                (s, b) => new LstmState(Slice(s.H, 0, b, b + 1), Slice(s.C, 0, b, b + 1))));
}
