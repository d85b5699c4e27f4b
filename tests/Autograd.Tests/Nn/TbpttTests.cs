using Autograd;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

public class TbpttTests
{
    private static readonly Tensor Xs = Tensor.RandomNormal(Shape.Of(5, 2, 3), 31, dtype: DType.Float64);
    private static readonly GruCell Cell = GruCell.Create(3, 4, new Random(32), DType.Float64);
    private static readonly Tensor H0 = Tensor.RandomNormal(Shape.Of(2, 4), 33, dtype: DType.Float64);

    private static (Tensor Loss, Tensor Carry) ChunkLoss(GruCell c, Tensor xs, Tensor h)
    {
        var r = xs.Scan(h, c.Step);
        return (Sum(r.Ys * r.Ys), r.Final);
    }

    [Fact]
    public void One_chunk_covering_the_sequence_is_full_backpropagation()
    {
        var t = Tbptt.Run(Xs, 10, Cell, H0, ChunkLoss);
        var (loss, h, g) = Ad.ValueAndGrad((GruCell c) => ChunkLoss(c, Xs, H0), Cell);
        Assert.Single(t.Chunks);
        Assert.Equal(loss.Item(), t.Chunks[0].Loss.Item(), 12);
        ScanTests.Close(h, t.Final);
        ScanTests.Close(g.WeightHh, t.Chunks[0].Grad.WeightHh);
    }

    [Fact]
    public void Chunks_carry_the_state_forward_but_not_the_gradient()
    {
        var t = Tbptt.Run(Xs, 2, Cell, H0, ChunkLoss);
        Assert.Equal(new[] { (0, 2), (2, 2), (4, 1) }, t.Chunks.Select(c => (c.Start, c.Length)));
        var full = Xs.Scan(H0, Cell.Step);
        ScanTests.Close(full.Final, t.Final);
        // Chunk 2 (steps 2..3) starts from the true h_2 as a constant.
        var h2 = StopGradient(Slice(Xs, 0, 0, 2).Scan(H0, Cell.Step).Final);
        var g = Ad.Grad((GruCell c) => ChunkLoss(c, Slice(Xs, 0, 2, 4), h2).Loss, Cell);
        ScanTests.Close(g.WeightIh, t.Chunks[1].Grad.WeightIh);
        ScanTests.Close(g.BiasHh!, t.Chunks[1].Grad.BiasHh!);
        Assert.Equal(full.Ys.ToDoubleArray().Select(v => v * v).Sum(), t.Chunks.Sum(c => c.Loss.Item()), 10);
    }

    [Fact]
    public void The_update_function_feeds_each_chunk_new_parameters()
    {
        int calls = 0;
        var t = Tbptt.Run(Xs, 2, Cell, H0, ChunkLoss, (p, g) => { calls++; return p with { WeightHh = p.WeightHh - 0.1 * g.WeightHh }; });
        Assert.Equal(3, calls);
        var expected = t.Chunks.Aggregate(Cell.WeightHh, (w, c) => w - 0.1 * c.Grad.WeightHh);
        ScanTests.Close(expected, t.Parameters.WeightHh);
    }

    [Fact]
    public void A_non_positive_chunk_length_is_rejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tbptt.Run(Xs, 0, Cell, H0, ChunkLoss));
        Assert.Contains("Tbptt", ex.Message);
        Assert.Contains("got 0", ex.Message);
    }

    [Fact]
    public void A_100000_step_unroll_differentiates_on_a_1MB_stack()
    {
        var cell = RnnCell.Create(1, 2, new Random(34), DType.Float64);
        var xs = Tensor.RandomNormal(Shape.Of(100_000, 1, 1), 35, dtype: DType.Float64);
        RnnCell? grad = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { grad = Ad.Grad((RnnCell c) => Sum(xs.Scan(c.ZeroState(1), c.Step).Final), cell); }
            catch (Exception e) { error = e; }
        }, maxStackSize: 1 << 20);
        thread.Start();
        thread.Join();
        Assert.Null(error);
        var g = grad ?? throw new InvalidOperationException("no gradient came back from the thread");
        Assert.All(g.WeightHh.ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
        Assert.Contains(g.WeightIh.ToDoubleArray(), v => v != 0);
    }
}
