using FsCheck;
using FsCheck.Fluent;

namespace Autograd.Properties;

/// <summary>
/// One row per primitive (JAX's GradTestSpec): the name the library gives it (<see cref="Primitive.Name"/>), the ranges
/// of a small integer vector <c>d</c> that fixes the shapes and attributes, a domain per input, and the function.
/// <see cref="CoverageTests"/> fails when a concrete <see cref="Primitive"/> is reached by no row.
/// </summary>
/// <param name="Replay">Pins a failing case: paste FsCheck's "(seed,gamma)" here to rerun exactly it.</param>
public sealed record Row(
    string Name, string Variant, int[] Lo, int[] Hi, Func<int[], Shape[]> Shapes, Domain[] Domains,
    Func<int[], Tensor[], Tensor> Build, GradCheckOptions? Options = null, string? Replay = null)
{
    public override string ToString() => Variant.Length == 0 ? Name : $"{Name} ({Variant})";

    /// <summary>The inputs for <paramref name="d"/>, drawn from each input's domain with <c>new Random(seed)</c>.</summary>
    public Tensor[] Inputs(int[] d, int seed)
    {
        var rng = new Random(seed);
        return Shapes(d).Select((s, i) =>
        {
            var domain = Domains[Math.Min(i, Domains.Length - 1)];
            return Tensor.FromArray(Enumerable.Range(0, s.Size).Select(_ => domain.Sample(rng)).ToArray(), s.ToArray());
        }).ToArray();
    }
}

/// <summary>A generated case: the row's integer vector and the seed of the input values.</summary>
public sealed record Case(int[] Dims, int Seed)
{
    public override string ToString() => $"d=[{string.Join(", ", Dims)}], seed={Seed}";
}

public sealed class PrimitiveTable
{
    private static readonly Domain Any = Domain.Any, Positive = Domain.Positive, AwayFromZero = Domain.AwayFromZero;

    // d = [rank, a, b, c]: a tensor of rank 0..3 with axes a, b, c (the first `rank` of them).
    private static readonly int[] ULo = [0, 1, 1, 1], UHi = [3, 4, 4, 4];
    private static Shape U(int[] d) => Shape.Of(d[1..(1 + d[0])]);

    // d = [rank, a, b, c, drop, mask, swap]: a full shape and a second one with `drop` leading axes removed and the
    // axes in `mask` set to 1, swapped when `swap` is 1; the two always broadcast together.
    private static readonly int[] PLo = [0, 1, 1, 1, 0, 0, 0], PHi = [3, 4, 4, 4, 3, 7, 1];

    private static (Shape Full, Shape Other) Pair(int[] d)
    {
        var full = d[1..(1 + d[0])];
        var other = full.Select((n, a) => (d[5] >> a & 1) == 1 ? 1 : n).Skip(Math.Min(d[4], d[0])).ToArray();
        return (Shape.Of(full), Shape.Of(other));
    }

    private static Shape[] P(int[] d)
    {
        var (full, other) = Pair(d);
        return d[6] == 1 ? [other, full] : [full, other];
    }

    private static Row Unary(string name, Domain domain, Func<Tensor, Tensor> f, string variant = "", GradCheckOptions? options = null) =>
        new(name, variant, ULo, UHi, d => [U(d)], [domain], (_, x) => f(x[0]), options);

    private static Row Binary(string name, Domain a, Domain b, Func<Tensor, Tensor, Tensor> f) =>
        new(name, "broadcasting", PLo, PHi, P, [a, b], (_, x) => f(x[0], x[1]));

    // d = [rank >= 1, a, b, c, axis, ...]: an axis of a rank 1..3 tensor.
    private static Row Lane(string name, Func<Tensor, int, bool, Tensor> f) =>
        new(name, "", [1, 1, 1, 1, 0, 0], [3, 4, 4, 4, 2, 1], d => [U(d)], [Any], (d, x) => f(x[0], d[4] % d[0], d[5] == 1));

    private static readonly Func<Tensor, Tensor> Softplus =
        Ad.CustomVjp("softplus", x => Log(1.0 + Exp(x)), (x, y, g) => g * Sigmoid(x));

    public static readonly Row[] Rows =
    [
        Binary("add", Any, Any, (a, b) => a + b),
        Binary("sub", Any, Any, (a, b) => a - b),
        Binary("mul", Any, Any, (a, b) => a * b),
        Binary("div", Any, AwayFromZero, (a, b) => a / b),
        Unary("neg", Any, x => -x),
        Unary("exp", Any, Exp),
        Unary("log", Positive, Log),
        Unary("sqrt", Positive, Sqrt),
        Unary("abs", AwayFromZero, Abs),
        Unary("tanh", Any, Tanh),
        Unary("sigmoid", Any, Sigmoid),
        Unary("relu", AwayFromZero, Relu),
        Unary("pow", Any, x => Pow(x, 3) + Pow(x, 2), "p=3 and p=2"),
        Unary("pow", Positive, x => Pow(x, -1.5), "p=-1.5"),
        // Kinks at 0 and ±0.05 lie inside the gap (−0.1, 0.1) of the domain: both the passed and the clamped sides are hit.
        Unary("clamp", AwayFromZero, x => 2.0 * Clamp(x, min: 0) + Clamp(x, max: 0) + 3.0 * Clamp(x, -0.05, 0.05)),
        // float64 → float32 → float64: the float32 rounding needs a larger step and looser tolerances.
        Unary("cast", Any, x => Cast(Cast(x, DType.Float32), DType.Float64), "round trip through float32",
            new GradCheckOptions { Eps = 1e-2, AbsoluteTolerance = 1e-4, RelativeTolerance = 1e-3 }),
        Unary("reshape", Any, x => Reshape(x, 1, -1) * Reshape(x, 1, -1)),
        new("permute", "", [2, 1, 1, 1], [3, 4, 4, 4], d => [U(d)], [Any],
            (d, x) => Permute(x[0], d[0] == 2 ? [1, 0] : [2, 0, 1])),
        new("broadcast_to", "", [0, 1, 1, 1, 0, 0], [3, 4, 4, 4, 3, 7], d => [Pair(d).Other], [Any],
            (d, x) => BroadcastTo(x[0], Pair(d).Full)),
        new("sum", "all, one axis kept, last axis, first and last", [0, 1, 1, 1, 0], [3, 4, 4, 4, 3], d => [U(d)], [Any],
            (d, x) => d[0] == 0 ? Sum(x[0]) : d[4] switch
            {
                1 => Sum(x[0], 0, keepDim: true),
                2 => Sum(x[0], -1),
                3 when d[0] >= 2 => Sum(x[0], [0, -1]),
                _ => Sum(x[0]),
            }),
        Lane("max", (x, axis, keep) => Max(x, axis, keep)),
        Lane("logsumexp", (x, axis, keep) => LogSumExp(x, axis, keep)),
        Lane("log_softmax", (x, axis, _) => LogSoftmax(x, axis)),
        Lane("softmax", (x, axis, _) => Softmax(x, axis)),
        // d = [n, c, pattern, reduction]; an odd pattern with n > 1 ignores sample 0.
        new("cross_entropy", "mean, sum, none; ignore_index", [1, 2, 0, 0], [4, 4, 7, 2], d => [Shape.Of(d[0], d[1])], [Any],
            (d, x) =>
            {
                var targets = Enumerable.Range(0, d[0]).Select(i => (i * 3 + d[2]) % d[1]).ToArray();
                if (d[2] % 2 == 1 && d[0] > 1) targets[0] = -100;
                return CrossEntropy(x[0], targets, reduction: (Reduction)d[3]);
            }),
        new("matmul", "2-D", [1, 1, 1], [4, 4, 4], d => [Shape.Of(d[0], d[1]), Shape.Of(d[1], d[2])], [Any], (_, x) => MatMul(x[0], x[1])),
        // d = [batch, m, k, n, broadcast]: b's batch axis is 1 when broadcast is 1.
        new("matmul", "batched", [1, 1, 1, 1, 0], [3, 3, 3, 3, 1],
            d => [Shape.Of(d[0], d[1], d[2]), Shape.Of(d[4] == 1 ? 1 : d[0], d[2], d[3])], [Any], (_, x) => MatMul(x[0], x[1])),
        new("matmul", "rank-3 @ rank-2", [1, 1, 1, 1], [3, 3, 3, 3],
            d => [Shape.Of(d[0], d[1], d[2]), Shape.Of(d[2], d[3])], [Any], (_, x) => MatMul(x[0], x[1])),
        new("matmul", "vector operands", [1, 1], [4, 4],
            d => [Shape.Of(d[0]), Shape.Of(d[0], d[1]), Shape.Of(d[1], d[0])], [Any], (_, x) => MatMul(x[0], x[1]) + MatMul(x[2], x[0])),
        // d = [lead, rows, in, out]: x [rows, in] (with a leading axis when lead is 1) · Wᵀ + b.
        new("affine", "with and without bias, leading axes", [0, 1, 1, 1], [1, 3, 4, 4],
            d => [d[0] == 1 ? Shape.Of(2, d[1], d[2]) : Shape.Of(d[1], d[2]), Shape.Of(d[3], d[2]), Shape.Of(d[3])], [Any],
            (d, x) => Affine(x[0], x[1], x[2]) + Affine(x[0], x[1])),
        // d = [rank, a, b, c, axis, s1, s2]: three tensors that differ only along the axis.
        new("concat", "three pieces", [1, 1, 1, 1, 0, 1, 1], [3, 4, 4, 4, 2, 3, 3],
            d =>
            {
                int axis = d[4] % d[0];
                var s = U(d);
                return [s, s.WithAxis(axis, d[5]), s.WithAxis(axis, d[6])];
            },
            [Any], (d, x) => Concat(x, d[4] % d[0])),
        // d = [rank, a, b, c, axis, start, step].
        new("slice", "with step", [1, 1, 1, 1, 0, 0, 1], [3, 4, 4, 4, 2, 3, 3], d => [U(d)], [Any],
            (d, x) =>
            {
                int axis = d[4] % d[0];
                return Slice(x[0], axis, d[5] % x[0].Shape[axis], step: d[6]);
            }),
        // d = [rows, width, extra, as matrix]: rows + extra indices, so some rows are picked more than once.
        new("gather_rows", "repeated indices", [1, 1, 1, 0], [4, 3, 3, 1], d => [Shape.Of(d[0], d[1])], [Any],
            (d, x) =>
            {
                int count = d[0] + d[2];
                var idx = Enumerable.Range(0, count).Select(i => (i * 5 + 1) % d[0]).ToArray();
                return GatherRows(x[0], idx, d[3] == 1 && count % 2 == 0 ? [2, count / 2] : null);
            }),
        // The mask is data fixed by d, so it cannot flip under ±ε.
        new("where", "broadcasting", [.. PLo, 0], [.. PHi, 2], P, [Any],
            (d, x) =>
            {
                var shape = Shape.Broadcast(x[0].Shape, x[1].Shape, "test");
                var mask = Enumerable.Range(0, shape.Size).Select(i => (i + d[7]) % 3 == 0 ? 1.0 : 0.0).ToArray();
                return Where(Tensor.FromArray(mask, shape.ToArray()), x[0], x[1]);
            }),
        Unary("softplus", Any, Softplus, "Ad.CustomVjp"),
        // d = [batch, hidden]: pre-activations [B, 4H] and the cell state [B, H]; H up to 9 covers the vector loop and its tail.
        new("lstm_gates", "h' and c' both used", [1, 1], [3, 9], d => [Shape.Of(d[0], 4 * d[1]), Shape.Of(d[0], d[1])], [Any],
            (_, x) => LstmGates(x[0], x[1]) is var (h1, c1) ? h1 + 2.0 * c1 : throw new InvalidOperationException()),
        new("lstm_gates", "two summands", [1, 1], [3, 9], d => [Shape.Of(d[0], 4 * d[1]), Shape.Of(d[0], 4 * d[1]), Shape.Of(d[0], d[1])], [Any],
            (_, x) => LstmGates(x[0], x[1], x[2]) is var (h1, c1) ? h1 * c1 : throw new InvalidOperationException()),
        // d = [steps, batch, hidden, reverse, bias]: xp [T, B, 4H], h0, c0 [B, H], W_hh [4H, H], b_hh [4H]; all outputs used.
        new("lstm_sequence", "forward and reverse, with and without b_hh", [1, 1, 1, 0, 0], [4, 2, 5, 1, 1],
            d => [Shape.Of(d[0], d[1], 4 * d[2]), Shape.Of(d[1], d[2]), Shape.Of(d[1], d[2]), Shape.Of(4 * d[2], d[2]), Shape.Of(4 * d[2])], [Any],
            (d, x) => LstmSequence(x[0], x[1], x[2], x[3], d[4] == 1 ? x[4] : null, reverse: d[3] == 1) is var (ys, h, c)
                ? Sum(ys * ys) + Sum(h) + 2.0 * Sum(c) + Sum(0.0 * x[4]) : throw new InvalidOperationException()),
        // d = [steps, batch, hidden, reverse, bias, input]: x [T, B, D], h0, c0 [B, H], W_hh [4H, H], b_hh [4H], W_ih [4H, D], b_ih [4H].
        new("lstm_sequence", "projecting its input, with and without biases", [1, 1, 1, 0, 0, 1], [3, 2, 4, 1, 1, 3],
            d => [Shape.Of(d[0], d[1], d[5]), Shape.Of(d[1], d[2]), Shape.Of(d[1], d[2]), Shape.Of(4 * d[2], d[2]), Shape.Of(4 * d[2]),
                Shape.Of(4 * d[2], d[5]), Shape.Of(4 * d[2])], [Any],
            (d, x) => LstmSequence(x[0], x[1], x[2], x[5], x[3], d[4] == 1 ? x[6] : null, d[4] == 1 ? x[4] : null, reverse: d[3] == 1) is var (ys, h, c)
                ? Sum(ys * ys) + Sum(h) + 2.0 * Sum(c) + Sum(0.0 * x[4]) + Sum(0.0 * x[6]) : throw new InvalidOperationException()),
        // d = [steps, batch, hidden, reverse, bias]: xp [T, B, 3H], h0 [B, H], W_hh [3H, H], b_hh [3H]; outputs and final h used.
        new("gru_sequence", "forward and reverse, with and without b_hh", [1, 1, 1, 0, 0], [4, 2, 5, 1, 1],
            d => [Shape.Of(d[0], d[1], 3 * d[2]), Shape.Of(d[1], d[2]), Shape.Of(3 * d[2], d[2]), Shape.Of(3 * d[2])], [Any],
            (d, x) => GruSequence(x[0], x[1], x[2], d[4] == 1 ? x[3] : null, reverse: d[3] == 1) is var (ys, h)
                ? Sum(ys * ys) + 3.0 * Sum(h) + Sum(0.0 * x[3]) : throw new InvalidOperationException()),
        // d = [steps, batch, hidden, reverse]: a step the scan cannot compile (softmax), so it is unrolled from the traced
        // first step, whose carry enters through scan_carry. xs [T, B, H], h0 [B, H].
        new("scan_carry", "an unrolled scan, forward and reverse", [1, 1, 1, 0], [4, 2, 4, 1],
            d => [Shape.Of(d[0], d[1], d[2]), Shape.Of(d[1], d[2])], [Any],
            (d, x) => x[0].Scan(x[1], (h, xt) => (Softmax(h + xt, -1) * h, Tanh(h) * xt), new ScanOptions(Reverse: d[3] == 1)) is var r
                ? Sum(r.Ys) + 2.0 * Sum(r.Final * r.Final) : throw new InvalidOperationException()),
        // d = [steps, batch, hidden, reverse, input]: a traced step over xs [T, B, D] from h0 [B, H] with every operation
        // the compiled scan runs: affine maps of x_t (hoisted) and of the carry, slices of the last axis, add, sub and mul
        // with a scalar and with a row vector v [H], neg, sigmoid, tanh, relu, exp (h stays in (−1, 1), so the sequence does not blow up). W_x [2H, D], b [2H], W_h [2H, H].
        new("scan", "a traced step, forward and reverse", [1, 1, 1, 0, 1], [4, 2, 4, 1, 3],
            d => [Shape.Of(d[0], d[1], d[4]), Shape.Of(d[1], d[2]), Shape.Of(2 * d[2], d[4]), Shape.Of(2 * d[2]), Shape.Of(2 * d[2], d[2]), Shape.Of(d[2])], [Any],
            (d, x) => x[0].Scan(x[1], (h, xt) =>
            {
                var g = Chunk(Affine(xt, x[2], x[3]) + Affine(h, x[4]), 2, axis: -1);
                var h1 = Tanh(Sigmoid(g[0]) * h + (1.0 - Sigmoid(g[1])) * x[5] - 0.1 * Relu(Neg(g[1])) + 0.1 * Exp(g[0] * 0.25));
                return (h1, h1 * h1);
            }, new ScanOptions(Reverse: d[3] == 1)) is var r ? Sum(r.Ys) + 2.0 * Sum(r.Final) : throw new InvalidOperationException()),
    ];

    public static TheoryData<string> Labels => [.. Rows.Select(r => r.ToString())];

    public static Row Find(string label) => Rows.Single(r => r.ToString() == label);

    /// <summary>Cases for a row: each entry of d in its range, shrinking toward the lower bounds (smaller shapes);
    /// the input values follow from the seed, so a shrunk case is still in every input's domain.</summary>
    public static Arbitrary<Case> Cases(Row row) => Arb.From(
        from d in Gen.CollectToArray(row.Lo.Select((lo, j) => Gen.Choose(lo, row.Hi[j])))
        from seed in Gen.Choose(0, 1_000_000_000)
        select new Case(d, seed),
        c => Enumerable.Range(0, c.Dims.Length).Where(j => c.Dims[j] > row.Lo[j])
            .SelectMany(j => new[] { row.Lo[j], c.Dims[j] - 1 }.Distinct().Select(v =>
            {
                var d = (int[])c.Dims.Clone();
                d[j] = v;
                return new Case(d, c.Seed);
            })));

    [Theory]
    [MemberData(nameof(Labels))]
    public void Gradient_matches_central_differences(string label)
    {
        var row = Find(label);
        var config = Config.QuickThrowOnFailure.WithMaxTest(30).WithQuietOnSuccess(true).WithName(label);
        if (row.Replay is { } replay) config = config.WithReplay(ReplayOf(replay));
        Check.One(config, Prop.ForAll(Cases(row), c =>
        {
            var inputs = row.Inputs(c.Dims, c.Seed);
            // Alternate the two modes so both run on every primitive.
            var options = (row.Options ?? GradCheckOptions.Default) with
            {
                Seed = c.Seed,
                Mode = c.Seed % 2 == 0 ? GradCheckMode.Elementwise : GradCheckMode.RandomDirection,
            };
            var report = GradCheck.Check((Tensor[] xs) => row.Build(c.Dims, xs), inputs, options);
            return report.Passed.Label(report.ToString());
        }));
    }

    /// <summary>"(seed,gamma)" or "(seed,gamma,size)" as printed by FsCheck after "Falsifiable" or "Replay directly at failing step with".</summary>
    internal static Microsoft.FSharp.Core.FSharpOption<Replay> ReplayOf(string text)
    {
        var parts = text.Trim('(', ')', ' ').Split(',').Select(s => ulong.Parse(s.Trim())).ToArray();
        var size = parts.Length > 2 ? Microsoft.FSharp.Core.FSharpOption<int>.Some((int)parts[2]) : Microsoft.FSharp.Core.FSharpOption<int>.None;
        return new Replay(new Rnd(parts[0], parts[1]), size);
    }

    [Fact]
    public void A_replay_seed_regenerates_the_same_cases()
    {
        List<Case> Run()
        {
            var seen = new List<Case>();
            var config = Config.Quick.WithMaxTest(5).WithQuietOnSuccess(true).WithReplay(ReplayOf("(8917316676208418694,11729417618929860077)"));
            Check.One(config, Prop.ForAll(Cases(Find("slice (with step)")), c => { seen.Add(c); return true; }));
            return seen;
        }
        var (first, second) = (Run(), Run());
        Assert.Equal(5, first.Count);
        Assert.Equal(first.Select(c => c.ToString()), second.Select(c => c.ToString()));
    }
}
