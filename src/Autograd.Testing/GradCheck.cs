using System.Collections.Immutable;

namespace Autograd.Testing;

/// <summary>
/// Checks reverse-mode gradients against central differences. For f: inputs → output, a fixed random cotangent v
/// (seeded) and a tangent u, it compares the analytic ⟨Vjp(v), u⟩ with the numerical
/// ⟨v, f(x + εu) − f(x − εu)⟩ / 2ε ≈ ⟨v, J u⟩, so functions with any output shape are checked through
/// <see cref="Ad.Vjp{P}"/>. The numerical side never differentiates: f is called on fresh leaves rebuilt into the
/// parameter tree with <see cref="Tree.Rebuild{T}"/>. Use it from any test framework:
/// <c>GradCheck.Assert((Mlp p) =&gt; Loss(p, x), mlp);</c>
/// </summary>
public static class GradCheck
{
    private const string AllInputs = "(all inputs)";

    /// <summary>
    /// Compares ⟨Vjp(v), u⟩ with ⟨v, f(x + εu) − f(x − εu)⟩ / 2ε, for u = every unit vector eᵢ
    /// (<see cref="GradCheckMode.Elementwise"/>) or random normal u (<see cref="GradCheckMode.RandomDirection"/>).
    /// </summary>
    /// <param name="f">The function; any output shape. It must be deterministic.</param>
    /// <param name="primal">The point to check at: a tensor or any parameter tree <see cref="Tree"/> supports.</param>
    /// <param name="options">Step, tolerances, mode and seed; <see cref="GradCheckOptions.Default"/> when null.</param>
    /// <exception cref="InvalidOperationException">An input is float32 and <see cref="GradCheckOptions.AllowFloat32"/> is off.</exception>
    public static GradCheckReport Check<P>(Func<P, Tensor> f, P primal, GradCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        var o = options ?? GradCheckOptions.Default;
        Validate(o);
        var named = Tree.FlattenWithPaths(primal);
        if (named.Count == 0) throw new ArgumentException("GradCheck: the parameter tree holds no tensors.", nameof(primal));
        foreach (var (path, t) in named)
            if (t.DType == DType.Float32 && !o.AllowFloat32)
                throw new InvalidOperationException(
                    $"GradCheck: input '{DisplayName(path)}' is float32. Central differences in float32 keep only about 3 significant " +
                    "digits, too few to check a gradient at float64 tolerances. Convert the inputs to float64 (x.To(DType.Float64)), " +
                    "or pass GradCheckOptions.Float32 (AllowFloat32 with looser tolerances) to check in float32 anyway.");

        var run = new Run<P>(f, primal, named, o);
        var mode = o.Mode != GradCheckMode.Auto ? o.Mode
            : named.Sum(p => (long)p.Tensor.Size) <= o.ElementwiseLimit ? GradCheckMode.Elementwise : GradCheckMode.RandomDirection;
        var entries = ImmutableArray.CreateBuilder<GradCheckEntry>();
        for (int k = 0; k < named.Count; k++)
            entries.Add(mode == GradCheckMode.Elementwise ? run.Elementwise(k) : run.RandomDirection(k));
        if (mode == GradCheckMode.RandomDirection && named.Count > 1) entries.Add(run.RandomDirection(-1));
        return new GradCheckReport(entries.ToImmutable(), o, run.OutputShape);
    }

    /// <summary>Runs <see cref="Check{P}"/> and throws a <see cref="GradCheckException"/> carrying the report table when it fails.</summary>
    public static void Assert<P>(Func<P, Tensor> f, P primal, GradCheckOptions? options = null)
    {
        var report = Check(f, primal, options);
        if (!report.Passed) throw new GradCheckException(report);
    }

    private static void Validate(GradCheckOptions o)
    {
        if (!(o.Eps > 0) || double.IsInfinity(o.Eps)) throw new ArgumentOutOfRangeException(nameof(o.Eps), $"GradCheck: Eps must be positive and finite, got {o.Eps}.");
        if (!(o.AbsoluteTolerance >= 0) || !(o.RelativeTolerance >= 0))
            throw new ArgumentOutOfRangeException(nameof(o.AbsoluteTolerance), $"GradCheck: tolerances must be non-negative, got atol={o.AbsoluteTolerance}, rtol={o.RelativeTolerance}.");
        if (o.Probes < 1) throw new ArgumentOutOfRangeException(nameof(o.Probes), $"GradCheck: Probes must be at least 1, got {o.Probes}.");
    }

    private static string DisplayName(string path) => path.Length == 0 ? "(input)" : path;

    /// <summary>One check: the inputs as flat float64 arrays, the cotangent v and the analytic VJP.</summary>
    private sealed class Run<P>
    {
        private readonly Func<P, Tensor> _f;
        private readonly P _primal;
        private readonly List<(string Path, Tensor Tensor)> _inputs;
        private readonly GradCheckOptions _o;
        private readonly double[][] _x;
        private readonly double[] _v;
        private readonly double[][] _g;
        private readonly Random _rng;

        public Run(Func<P, Tensor> f, P primal, List<(string Path, Tensor Tensor)> inputs, GradCheckOptions o)
        {
            (_f, _primal, _inputs, _o) = (f, primal, inputs, o);
            _x = inputs.Select(p => p.Tensor.ToDoubleArray()).ToArray();
            _rng = new Random(o.Seed);
            var (y, pullback) = Ad.Vjp(f, primal);
            OutputShape = y.Shape;
            _v = Normal(y.Size);
            var grads = Tree.Flatten(pullback(Tensor.FromArray(_v, y.Shape.ToArray())));
            _g = grads.Select(g => g.ToDoubleArray()).ToArray();
        }

        public Shape OutputShape { get; }

        public GradCheckEntry Elementwise(int k)
        {
            var acc = new Accumulator(_o);
            var shape = _inputs[k].Tensor.Shape;
            var u = new double[_x[k].Length];
            for (int i = 0; i < u.Length; i++)
            {
                u[i] = 1;
                var (a, n) = Directional(k, u);
                u[i] = 0;
                acc.Add(a, n, i);
            }
            return acc.Entry(DisplayName(_inputs[k].Path), shape, GradCheckMode.Elementwise, i => FormatIndex(i, shape));
        }

        /// <summary>Probes along random u over input <paramref name="k"/> only, or over every input when k is −1.</summary>
        public GradCheckEntry RandomDirection(int k)
        {
            var acc = new Accumulator(_o);
            for (int p = 0; p < _o.Probes; p++)
            {
                var (a, n) = k >= 0 ? Directional(k, Normal(_x[k].Length)) : Directional(-1, [.. _x.SelectMany(x => Normal(x.Length))]);
                acc.Add(a, n, p);
            }
            var (path, shape) = k >= 0 ? (DisplayName(_inputs[k].Path), _inputs[k].Tensor.Shape) : (AllInputs, Shape.Of(_x.Sum(x => x.Length)));
            return acc.Entry(path, shape, GradCheckMode.RandomDirection, p => $"probe {p}");
        }

        /// <summary>(⟨g, u⟩, ⟨v, f(x + εu) − f(x − εu)⟩ / 2ε) with u on input k (k = −1: u spans all inputs, concatenated).
        /// The analytic side uses the step actually taken after rounding to the input's dtype, not the ideal 2εu.</summary>
        private (double Analytic, double Numerical) Directional(int k, double[] u)
        {
            var plus = new Tensor[_x.Length];
            var minus = new Tensor[_x.Length];
            double eps = _o.Eps, analytic = 0;
            for (int j = 0, offset = 0; j < _x.Length; offset += _x[j].Length, j++)
            {
                var dims = _inputs[j].Tensor.Shape.ToArray();
                bool f32 = _inputs[j].Tensor.DType == DType.Float32;
                if (k >= 0 && j != k)
                {
                    plus[j] = minus[j] = Leaf(_x[j], dims, f32);
                    continue;
                }
                int at = k >= 0 ? 0 : offset;
                var xp = (double[])_x[j].Clone();
                var xm = (double[])_x[j].Clone();
                for (int i = 0; i < xp.Length; i++)
                {
                    double d = eps * u[at + i];
                    if (d == 0) continue;
                    xp[i] = Round(_x[j][i] + d, f32);
                    xm[i] = Round(_x[j][i] - d, f32);
                    analytic += _g[j][i] * ((xp[i] - xm[i]) / (2 * eps));
                }
                plus[j] = Leaf(xp, dims, f32);
                minus[j] = Leaf(xm, dims, f32);
            }
            double numerical = (Eval(plus) - Eval(minus)) / (2 * eps);
            return (analytic, numerical);
        }

        // ⟨v, f(x)⟩, accumulated in float64.
        private double Eval(Tensor[] leaves)
        {
            var y = _f(Tree.Rebuild(_primal, leaves));
            if (!y.Shape.Equals(OutputShape))
                throw new InvalidOperationException($"GradCheck: f returned shape {y.Shape} at a perturbed point but {OutputShape} at the primal; f must keep its output shape.");
            var yv = y.ToDoubleArray();
            double s = 0;
            for (int i = 0; i < yv.Length; i++) s += _v[i] * yv[i];
            return s;
        }

        private double[] Normal(int n)
        {
            var r = new double[n];
            for (int i = 0; i < n; i++)
            {
                double u1 = 1.0 - _rng.NextDouble(), u2 = _rng.NextDouble();
                r[i] = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            }
            return r;
        }

        private static double Round(double x, bool f32) => f32 ? (float)x : x;

        private static Tensor Leaf(double[] x, int[] dims, bool f32) =>
            f32 ? Tensor.FromArray(Array.ConvertAll(x, v => (float)v), dims) : Tensor.FromArray(x, dims);
    }

    /// <summary>Running maxima over compared pairs (a, n); the worst pair is the one that most exceeds its tolerance.</summary>
    private sealed class Accumulator(GradCheckOptions o)
    {
        private int _count, _worstAt = -1;
        private double _maxAbs, _maxRel, _worstRatio = -1, _worstA, _worstN;
        private bool _passed = true;

        public void Add(double a, double n, int at)
        {
            _count++;
            double abs = Math.Abs(a - n);
            double rel = abs / Math.Max(1e-8, Math.Abs(a) + Math.Abs(n));
            double tol = o.AbsoluteTolerance + o.RelativeTolerance * Math.Abs(n);
            // NaN compares false everywhere: it fails, and counts as the worst.
            bool ok = abs <= tol;
            double ratio = double.IsNaN(abs) ? double.PositiveInfinity : tol > 0 ? abs / tol : abs > 0 ? double.PositiveInfinity : 0;
            _passed &= ok;
            _maxAbs = double.IsNaN(abs) || double.IsNaN(_maxAbs) ? double.NaN : Math.Max(_maxAbs, abs);
            _maxRel = double.IsNaN(rel) || double.IsNaN(_maxRel) ? double.NaN : Math.Max(_maxRel, rel);
            if (ratio > _worstRatio) (_worstRatio, _worstAt, _worstA, _worstN) = (ratio, at, a, n);
        }

        public GradCheckEntry Entry(string path, Shape shape, GradCheckMode mode, Func<int, string> where) =>
            new(path, shape, mode, _count, _maxAbs, _maxRel, _worstAt < 0 ? "-" : where(_worstAt), _worstA, _worstN, _passed);
    }

    /// <summary>The row-major multi-index of a flat index, as <c>[1, 2]</c>.</summary>
    internal static string FormatIndex(int flat, Shape shape)
    {
        var idx = new int[shape.Rank];
        for (int d = shape.Rank - 1; d >= 0; d--)
        {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return $"[{string.Join(", ", idx)}]";
    }
}
