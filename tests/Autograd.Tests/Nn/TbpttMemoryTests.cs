using System.Runtime.CompilerServices;
using Autograd;
using Autograd.Nn;
using Xunit.Abstractions;
using static Autograd.Ops;

namespace Autograd.Tests.Nn;

/// <summary>
/// A long TBPTT run keeps only one chunk's graph alive: a weak reference to a node of the first chunk's graph dies
/// while later chunks run, and the live heap stops growing. The same probe, run on a loop that chains the chunks
/// without StopGradient, sees the first graph alive and the heap growing by a whole graph per chunk, so the check can fail.
/// </summary>
[Collection(nameof(MemoryMeasurements))]
public class TbpttMemoryTests(ITestOutputHelper output)
{
    private const int Steps = 20_000, K = 50, Chunks = Steps / K;
    // Early is past the first chunks, which also fill the shared array pool the compiled scan rents its buffers from
    // (about 0.9 MB, then steady): growth from there on is what a chunk leaves behind.
    private const int Early = 100, Late = Chunks - 1;

    /// <summary>Watches the chunks of one run from inside the chunk loss.</summary>
    private sealed class Probe
    {
        public int Seen;
        public WeakReference? First;
        public bool? FirstAliveLate;
        public long HeapEarly, HeapLate;

        // Not inlined, so that no strong reference to the node outlives this call in a caller's frame.
        [MethodImpl(MethodImplOptions.NoInlining)]
        public void Observe(Tensor node)
        {
            int i = Seen++;
            if (i == 0) First = new WeakReference(node);
            if (i == Early) HeapEarly = GC.GetTotalMemory(forceFullCollection: true);
            if (i == Late)
            {
                HeapLate = GC.GetTotalMemory(forceFullCollection: true);
                FirstAliveLate = First!.IsAlive;
            }
        }
    }

    private static readonly RnnCell Cell = RnnCell.Create(2, 8, new Random(70), DType.Float64);
    private static readonly Tensor Xs = Tensor.RandomNormal(Shape.Of(Steps, 4, 2), 71, dtype: DType.Float64);
    private static readonly Tensor H0 = Tensor.Zeros(Shape.Of(4, 8), DType.Float64);

    private static Func<RnnCell, Tensor, Tensor, (Tensor Loss, Tensor Carry)> ChunkLoss(Probe probe) => (c, xs, h) =>
    {
        var r = xs.Scan(h, c.Step);
        // h after the chunk's last step: a node of this chunk's graph, reachable from its loss and from its carry.
        probe.Observe(r.Final);
        return (Mean(r.Ys * r.Ys), r.Final);
    };

    /// <summary>TBPTT done wrong: each chunk starts from the previous chunk's graph-attached carry (a forward pass and a
    /// backward sweep per chunk, without StopGradient at the boundary), so every graph stays reachable.</summary>
    private static void RunChained(Probe probe)
    {
        var loss = ChunkLoss(probe);
        var carry = H0;
        for (int s = 0; s < Steps; s += K)
        {
            var (chunkLoss, next) = loss(Cell, Slice(Xs, 0, s, s + K), carry);
            _ = Ad.Gradients(chunkLoss, [carry]);
            carry = next;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static TbpttResult<RnnCell, Tensor> RunTbptt(Probe probe) =>
        // With an update made of ops, so that the parameters of chunk n are computed from those of chunk n − 1.
        Tbptt.Run(Xs, K, Cell, H0, ChunkLoss(probe), (p, g) => p with { WeightHh = p.WeightHh - 0.001 * g.WeightHh });

    [Fact]
    public void A_20000_step_run_with_k_50_frees_each_chunk_graph_while_a_chained_run_keeps_them()
    {
        var tbptt = new Probe();
        var result = RunTbptt(tbptt);
        var chained = new Probe();
        RunChained(chained);

        double perChunk(Probe p) => (double)(p.HeapLate - p.HeapEarly) / (Late - Early);
        output.WriteLine($"TBPTT: first graph alive at chunk {Late}: {tbptt.FirstAliveLate}, heap growth {perChunk(tbptt):F0} B/chunk ({tbptt.HeapEarly} → {tbptt.HeapLate})");
        output.WriteLine($"chained: first graph alive at chunk {Late}: {chained.FirstAliveLate}, heap growth {perChunk(chained):F0} B/chunk ({chained.HeapEarly} → {chained.HeapLate})");

        Assert.Equal(Chunks, tbptt.Seen);
        Assert.Equal(Chunks, result.Chunks.Length);
        Assert.All(result.Chunks, c => Assert.True(double.IsFinite(c.Loss.Item())));
        // The control: chaining keeps chunk 0's graph and adds a graph of K steps per chunk.
        Assert.Equal(Chunks, chained.Seen);
        Assert.True(chained.FirstAliveLate, "the chained run should keep the first chunk's graph alive");
        Assert.True(perChunk(chained) > 20_000, $"the chained run grew only {perChunk(chained):F0} B per chunk");
        // TBPTT: chunk 0's graph is gone, and what a chunk leaves behind (its loss and gradient) is a small fraction.
        Assert.False(tbptt.FirstAliveLate, "TBPTT kept the first chunk's graph alive");
        Assert.True(perChunk(tbptt) < perChunk(chained) / 10, $"TBPTT grew {perChunk(tbptt):F0} B per chunk, chained {perChunk(chained):F0}");
        // What the result keeps is values, not graphs: the chunk losses and the updated parameters are leaves (an
        // update made of ops would otherwise chain every chunk's parameters to the previous ones).
        Assert.All(result.Chunks, c => Assert.True(c.Loss.IsLeaf));
        Assert.All(Tree.Flatten(result.Parameters), p => Assert.True(p.IsLeaf));
        Assert.True(result.Final.IsLeaf);
        GC.KeepAlive(result);
    }
}

/// <summary>Tests that measure the heap run alone: a test allocating on another thread would move the numbers.</summary>
[CollectionDefinition(nameof(MemoryMeasurements), DisableParallelization = true)]
public sealed class MemoryMeasurements;
