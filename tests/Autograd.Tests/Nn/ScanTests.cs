using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

public sealed record TinyRnn(Tensor Wx, Tensor Wh)
{
    public (Tensor Carry, Tensor Y) Step(Tensor h, Tensor x)
    {
        var h1 = Tanh(MatMul(x, Wx) + MatMul(h, Wh));
        return (h1, h1 * 2.0);
    }
}

public sealed record TwoState(Tensor A, Tensor B);

public class ScanTests
{
    private static readonly TinyRnn Cell = new(
        Tensor.RandomNormal(Shape.Of(3, 4), 1, std: 0.5, dtype: DType.Float64),
        Tensor.RandomNormal(Shape.Of(4, 4), 2, std: 0.5, dtype: DType.Float64));
    private static readonly Tensor Xs = Tensor.RandomNormal(Shape.Of(5, 2, 3), 3, dtype: DType.Float64);
    private static readonly Tensor H0 = Tensor.RandomNormal(Shape.Of(2, 4), 4, dtype: DType.Float64);

    // Within 10^−digits of each other (a tolerance, not rounding to digits places: two values 1e-7 apart can round to
    // different fourth decimals).
    internal static void Close(Tensor expected, Tensor actual, int digits = 12)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], a[i], Math.Pow(10, -digits));
    }

    private static (Tensor H, Tensor Ys) HandLoop(TinyRnn c, Tensor xs, Tensor h, bool reverse = false)
    {
        int n = xs.Shape[0];
        var ys = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            int t = reverse ? n - 1 - i : i;
            (h, ys[t]) = c.Step(h, Index(xs, t));
        }
        return (h, Stack(ys));
    }

    [Fact]
    public void Scan_equals_the_hand_loop_in_value_and_gradient()
    {
        var r = Xs.Scan(H0, Cell.Step);
        var (h, ys) = HandLoop(Cell, Xs, H0);
        Close(h, r.Final);
        Close(ys, r.Ys);
        Assert.Equal(Shape.Of(5, 2, 4), r.Ys.Shape);

        var p = (Cell, Xs, H0);
        var g1 = Ad.Grad(((TinyRnn C, Tensor X, Tensor H) q) => { var s = q.X.Scan(q.H, q.C.Step); return Sum(s.Ys) + Sum(s.Final * s.Final); }, p);
        var g2 = Ad.Grad(((TinyRnn C, Tensor X, Tensor H) q) => { var s = HandLoop(q.C, q.X, q.H); return Sum(s.Ys) + Sum(s.H * s.H); }, p);
        Close(g2.Item1.Wx, g1.Item1.Wx);
        Close(g2.Item1.Wh, g1.Item1.Wh);
        Close(g2.Item2, g1.Item2);
        Close(g2.Item3, g1.Item3);
    }

    [Fact]
    public void Reverse_scan_runs_backwards_and_stores_outputs_at_their_time_position()
    {
        var r = Xs.Scan(H0, Cell.Step, new ScanOptions(Reverse: true));
        var (h, ys) = HandLoop(Cell, Xs, H0, reverse: true);
        Close(h, r.Final);
        Close(ys, r.Ys);
        // The last time position is consumed first, straight from h0.
        Close(Cell.Step(H0, Index(Xs, 4)).Y, Index(r.Ys, 4));
    }

    [Fact]
    public void A_list_scan_equals_the_tensor_scan()
    {
        var list = Enumerable.Range(0, 5).Select(t => Index(Xs, t)).ToList();
        var a = list.Scan(H0, Cell.Step);
        var b = Xs.Scan(H0, Cell.Step);
        Close(b.Final, a.Final);
        Close(b.Ys, a.Ys);
    }

    [Fact]
    public void An_empty_sequence_returns_the_initial_carry()
    {
        var r = Tensor.Zeros(Shape.Of(0, 2, 3), DType.Float64).Scan(H0, Cell.Step);
        Assert.Same(H0, r.Final);
        Assert.Equal(Shape.Of(0, 2, 4), r.Ys.Shape);
        var l = new List<Tensor>().Scan(H0, Cell.Step);
        Assert.Same(H0, l.Final);
        Assert.Equal(Shape.Of(0), l.Ys.Shape);
    }

    [Fact]
    public void Scanning_a_concatenation_equals_chained_scans()
    {
        var whole = Xs.Scan(H0, Cell.Step);
        var first = Slice(Xs, 0, 0, 2).Scan(H0, Cell.Step);
        var second = Slice(Xs, 0, 2).Scan(first.Final, Cell.Step);
        Close(whole.Final, second.Final);
        Close(whole.Ys, Concat([first.Ys, second.Ys]));
    }

    [Fact]
    public void Tuple_and_record_carries_are_threaded_through()
    {
        var c0 = (H0, H0 * 0.0);
        var r = Xs.Scan(c0, ((Tensor H, Tensor S) c, Tensor x) =>
        {
            var (h, y) = Cell.Step(c.H, x);
            return ((h, c.S + h), y);
        });
        Close(Sum(Xs.Scan(H0, Cell.Step).Ys, [0]) * 0.5, r.Final.Item2);
        var rec = Xs.Scan(new TwoState(H0, H0), (TwoState c, Tensor x) => (c with { A = Cell.Step(c.A, x).Carry }, Sum(c.B)));
        Close(Xs.Scan(H0, Cell.Step).Final, rec.Final.A);
        Assert.Same(H0, rec.Final.B);
        Assert.Equal(Shape.Of(5), rec.Ys.Shape);
    }

    [Fact]
    public void Masked_steps_keep_the_carry_and_emit_zeros()
    {
        // Row 0 has length 5, row 1 has length 2 (padded after t = 1).
        var mask = Tensor.From(new double[,] { { 1, 1 }, { 1, 1 }, { 1, 0 }, { 1, 0 }, { 1, 0 } });
        var r = Xs.Scan(H0, Cell.Step, new ScanOptions(Mask: mask));
        var full = Xs.Scan(H0, Cell.Step);
        var shortRun = Slice(Xs, 0, 0, 2).Scan(H0, Cell.Step);
        Close(Index(full.Final, 0), Index(r.Final, 0));
        Close(Index(shortRun.Final, 1), Index(r.Final, 1));
        Assert.All(Slice(Slice(r.Ys, 0, 2), 1, 1, 2).ToDoubleArray(), v => Assert.Equal(0.0, v));
        Close(Slice(shortRun.Ys, 1, 1, 2), Slice(Slice(r.Ys, 0, 0, 2), 1, 1, 2));

        // The padded inputs get no gradient.
        var gx = Ad.Grad((Tensor x) => Sum(x.Scan(H0, Cell.Step, new ScanOptions(Mask: mask)).Final), Xs);
        Assert.All(Slice(Slice(gx, 0, 2), 1, 1, 2).ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.Contains(Slice(Slice(gx, 0, 0, 2), 1, 1, 2).ToDoubleArray(), v => v != 0.0);
    }

    [Fact]
    public void A_mask_of_the_wrong_shape_names_expected_and_received_shapes()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Xs.Scan(H0, Cell.Step, new ScanOptions(Mask: Tensor.Ones(Shape.Of(4, 2)))));
        Assert.Contains("[5, 2]", ex.Message);
        Assert.Contains("[4, 2]", ex.Message);
        Assert.Contains("Scan", ex.Message);
    }

    [Fact]
    public void A_batch_of_B_equals_B_runs_of_batch_1()
    {
        var batched = Xs.Scan(H0, Cell.Step);
        for (int b = 0; b < 2; b++)
        {
            var single = Slice(Xs, 1, b, b + 1).Scan(Slice(H0, 0, b, b + 1), Cell.Step);
            Close(Slice(batched.Final, 0, b, b + 1), single.Final);
            Close(Slice(batched.Ys, 1, b, b + 1), single.Ys);
        }
    }

    [Fact]
    public void Slices_of_one_tensor_accumulate_their_gradients_in_either_order()
    {
        var w = Tensor.RandomNormal(Shape.Of(5, 2, 3), 7, dtype: DType.Float64);
        var expected = (w + Tensor.Arange(5, DType.Float64).Reshape5()).ToDoubleArray();
        Tensor Rows(Tensor x) => Enumerable.Range(0, 5).Select(t => Sum(Index(x, t)) * (double)t).Aggregate((a, b) => a + b);
        var slicesLast = Ad.Grad((Tensor x) => { var d = Sum(x * w); return d + Rows(x); }, Xs);
        var slicesFirst = Ad.Grad((Tensor x) => { var r = Rows(x); return Sum(x * w) + r; }, Xs);
        Assert.Equal(expected, slicesLast.ToDoubleArray());
        Assert.Equal(expected, slicesFirst.ToDoubleArray());
        Assert.Equal(w.ToDoubleArray(), Ad.Grad((Tensor x) => Sum(x * w), Xs).ToDoubleArray());
    }
}

internal static class ShapeHelpers
{
    // [5] -> [5, 1, 1] so that t broadcasts over the row x[t].
    public static Tensor Reshape5(this Tensor t) => Reshape(t, 5, 1, 1);
}
