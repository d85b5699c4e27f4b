using System.Collections.Immutable;
using Autograd;
using Autograd.Nn;
using Autograd.Optim;

namespace Autograd.Tests.Training;

public sealed record TwoLeaves(Tensor A, ImmutableArray<Tensor> Rest);

public class OptimizerTests
{
    private static readonly double[] P0 = [1, -2];
    private static readonly double[] G1 = [0.5, -1];
    private static readonly double[] G2 = [-0.3, 2];

    private static Tensor V(double[] x) => Tensor.FromArray(x);

    private static void Near(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"element {i}: expected {expected[i]}, got {a[i]}");
    }

    private static (Tensor, S) Two<S>(IOptimizer<S> opt, DType dtype = DType.Float64) where S : IOptimizerState
    {
        var p = V(P0).To(dtype);
        var s = opt.Init(p);
        (p, s) = opt.Step(p, V(G1).To(dtype), s);
        (p, s) = opt.Step(p, V(G2).To(dtype), s);
        return (p, s);
    }

    [Fact]
    public void Sgd_with_weight_decay_by_hand()
    {
        var (p, s) = Two(new Sgd(0.1, weightDecay: 0.5));
        var expected = new double[2];
        for (int i = 0; i < 2; i++)
        {
            double x = P0[i];
            x -= 0.1 * (G1[i] + 0.5 * x);
            x -= 0.1 * (G2[i] + 0.5 * x);
            expected[i] = x;
        }
        Near(expected, p);
        Assert.Equal(2, s.Step);
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(false, 0.25)]
    [InlineData(true, 0.0)]
    public void Momentum_follows_PyTorch_SGD(bool nesterov, double dampening)
    {
        var (p, s) = Two(new Momentum(0.1, momentum: 0.9, dampening: dampening, nesterov: nesterov));
        var expected = new double[2];
        var buffers = new double[2];
        for (int i = 0; i < 2; i++)
        {
            double x = P0[i], buf = G1[i];                      // first step: buf = g, no dampening
            x -= 0.1 * (nesterov ? G1[i] + 0.9 * buf : buf);
            buf = 0.9 * buf + (1 - dampening) * G2[i];
            x -= 0.1 * (nesterov ? G2[i] + 0.9 * buf : buf);
            (expected[i], buffers[i]) = (x, buf);
        }
        Near(expected, p);
        Near(buffers, s.MomentumBuffer[0]);
    }

    [Fact]
    public void Adagrad_is_min_char_rnn()
    {
        var (p, s) = Two(new Adagrad(0.1));
        var expected = new double[2];
        var mems = new double[2];
        for (int i = 0; i < 2; i++)
        {
            double x = P0[i], mem = 0;
            foreach (var g in new[] { G1[i], G2[i] })
            {
                mem += g * g;
                x += -0.1 * g / Math.Sqrt(mem + 1e-8);
            }
            (expected[i], mems[i]) = (x, mem);
        }
        Near(expected, p);
        Near(mems, s.Memory[0]);
    }

    // The textbook Adam: m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), p −= lr·m̂/(√v̂ + ε); decoupled: p ·= 1 − lr·λ first.
    private static (double[] P, double[] M, double[] Vs) AdamByHand(double lr, double wd, bool decoupled)
    {
        var p = (double[])P0.Clone();
        double[] m = new double[2], v = new double[2];
        var grads = new[] { G1, G2 };
        for (int t = 1; t <= 2; t++)
            for (int i = 0; i < 2; i++)
            {
                double g = grads[t - 1][i];
                if (decoupled) p[i] *= 1 - lr * wd;
                else g += wd * p[i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double mh = m[i] / (1 - Math.Pow(0.9, t)), vh = v[i] / (1 - Math.Pow(0.999, t));
                p[i] -= lr * mh / (Math.Sqrt(vh) + 1e-8);
            }
        return (p, m, v);
    }

    [Fact]
    public void Adam_two_steps_by_hand()
    {
        var (p, s) = Two(new Adam(lr: 0.1));
        var (ep, em, ev) = AdamByHand(0.1, 0, false);
        Near(ep, p);
        Near(em, s.M[0]);
        Near(ev, s.V[0]);
        Assert.Equal(2, s.Step);
        // The first Adam step moves each coordinate by ≈ lr against the gradient's sign.
        var first = new Adam(lr: 0.1).Step(V(P0), V(G1), new Adam().Init(V(P0))).Params;
        Near([0.9, -1.9], first, 1e-6);
    }

    [Fact]
    public void Adam_with_L2_weight_decay_and_AdamW_decoupled_by_hand()
    {
        Near(AdamByHand(0.1, 0.2, false).P, Two(new Adam(lr: 0.1, weightDecay: 0.2)).Item1);
        Near(AdamByHand(0.1, 0.2, true).P, Two(new AdamW(lr: 0.1, weightDecay: 0.2)).Item1);
        Assert.Equal(0.01, new AdamW().WeightDecay);
        Assert.Equal(1e-3, new AdamW().Lr.At(0));
        Assert.NotEqual(AdamByHand(0.1, 0.01, true).P[0], AdamByHand(0.1, 0, true).P[0]);
        Near(AdamByHand(0.1, 0.01, true).P, Two(new AdamW(lr: 0.1)).Item1);
    }

    [Fact]
    public void Float32_parameters_are_updated_in_float32()
    {
        var (p, s) = Two(new Adam(lr: 0.1), DType.Float32);
        Assert.Equal(DType.Float32, p.DType);
        Assert.Equal(DType.Float32, s.M[0].DType);
        Near(AdamByHand(0.1, 0, false).P, p, 1e-6);
    }

    [Fact]
    public void Step_leaves_parameters_gradients_and_state_unchanged_and_keeps_the_tree_type()
    {
        var p = new TwoLeaves(Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2), [V([5.0]), V([-1.0, 1])]);
        var g = new TwoLeaves(Tensor.FromArray(new double[] { 0.1, -0.2, 0.3, 0 }, 2, 2), [V([1.0]), V([2.0, -2])]);
        var opt = new Adam(lr: 0.01);
        var s1 = opt.Step(p, g, opt.Init(p)).State;
        double[][] Snap(IEnumerable<Tensor> ts) => ts.Select(t => t.ToDoubleArray()).ToArray();
        var (pBefore, gBefore, mBefore, vBefore) = (Snap(Tree.Flatten(p)), Snap(Tree.Flatten(g)), Snap(s1.M), Snap(s1.V));
        var (p2, s2) = opt.Step(p, g, s1);
        Assert.Equal(pBefore, Snap(Tree.Flatten(p)));
        Assert.Equal(gBefore, Snap(Tree.Flatten(g)));
        Assert.Equal(mBefore, Snap(s1.M));
        Assert.Equal(vBefore, Snap(s1.V));
        Assert.Equal(1, s1.Step);
        Assert.Equal(2, s2.Step);
        Assert.IsType<TwoLeaves>(p2);
        Assert.Equal(2, p2.Rest.Length);
        Assert.NotEqual(pBefore[0], p2.A.ToDoubleArray());
        Assert.All(Tree.Flatten(p2), t => Assert.True(t.IsLeaf));
    }

    [Fact]
    public void A_state_for_another_tree_is_rejected()
    {
        var opt = new Adam();
        var s = opt.Init(new TwoLeaves(V([1.0]), [V([1.0])]));
        var ex = Assert.Throws<ArgumentException>(() => opt.Step(V([1.0]), V([1.0]), s));
        Assert.Contains("first moments", ex.Message);
        var shape = Assert.Throws<ShapeMismatchException>(() => opt.Step(V([1.0, 2]), V([1.0, 2]), opt.Init(V([1.0]))));
        Assert.Contains("[2]", shape.Message);
    }

    [Fact]
    public void Schedules_give_the_documented_rates_and_drive_the_optimizer()
    {
        Assert.Equal(0.3, ((Schedule)0.3).At(1000));
        var decay = Schedule.StepDecay(1.0, 10, 0.5);
        Assert.Equal([1.0, 1.0, 0.5, 0.25], new[] { 0, 9, 10, 25 }.Select(decay.At));
        var cos = Schedule.WarmupCosine(1.0, 4, 14, 0.1);
        Assert.Equal(0.25, cos.At(0), 12);
        Assert.Equal(1.0, cos.At(3), 12);
        Assert.Equal(1.0, cos.At(4), 12);
        Assert.Equal(0.55, cos.At(9), 12);   // halfway through the decay
        Assert.Equal(0.1, cos.At(14), 12);
        Assert.Equal(0.1, cos.At(100), 12);
        // Sgd reads the schedule at the 0-based update index.
        var sgd = new Sgd(Schedule.From(s => s == 0 ? 1.0 : 0.5));
        var (p, _) = Two(sgd);
        Near([P0[0] - G1[0] - 0.5 * G2[0], P0[1] - G1[1] - 0.5 * G2[1]], p);
    }

    [Fact]
    public void Clip_by_global_norm_returns_the_norm_before_clipping_and_scales_like_PyTorch()
    {
        var g = new TwoLeaves(V([3.0, 4]), [V([12.0])]);        // ‖g‖ = 13
        var (clipped, norm) = Clip.ByGlobalNorm(g, 6.5);
        Assert.Equal(13, norm, 12);
        double scale = 6.5 / (13 + 1e-6);
        Near([3 * scale, 4 * scale], clipped.A);
        Near([12 * scale], clipped.Rest[0]);
        Assert.Equal(new double[] { 3, 4 }, g.A.ToDoubleArray());
        var (same, n2) = Clip.ByGlobalNorm(g, 100);
        Assert.Equal(13, n2, 12);
        Assert.Same(g, same);
    }

    [Fact]
    public void Clip_by_value_clamps_each_element()
    {
        var c = Clip.ByValue(V([-3.0, 0.5, 2, double.NaN]), 1);
        var a = c.ToDoubleArray();
        Assert.Equal(new double[] { -1, 0.5, 1 }, a[..3]);
        Assert.True(double.IsNaN(a[3]));
    }

    [Fact]
    public void Linear_and_Adam_fit_a_line_end_to_end()
    {
        var x = Ops.Reshape(Tensor.Linspace(-1, 1, 32), 32, 1);
        var y = 2.0 * x + 1.0;
        var model = Linear.Create(1, 1, new Random(0));
        var opt = new Adam(lr: 0.1);
        var state = opt.Init(model);
        double first = double.NaN, last = double.NaN;
        for (int step = 0; step < 200; step++)
        {
            var (loss, grads) = Ad.ValueAndGrad((Linear m) => Ops.Mse(m.Apply(x), y), model);
            (model, state) = opt.Step(model, grads, state);
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(first > 0.1, $"initial loss {first}");
        Assert.True(last < 1e-3, $"final loss {last}");
        Assert.Equal(2, model.Weight.Item(), 1);
        Assert.Equal(1, model.Bias!.Item(), 1);
    }
}
