using Autograd;
using BenchmarkDotNet.Attributes;
using static Autograd.Ops;

namespace Autograd.Benchmarks;

/// <summary>W6: x = tanh(x·w + b) repeated 1,000 times on a 1×10 float32 tensor (3,000 ops), sum, backward.
/// Per-op overhead = time / 3,000.</summary>
[MemoryDiagnoser]
public class W6_GraphOverhead
{
    private Tensor _x0 = null!;
    private (Tensor W, Tensor B) _p;

    /// <summary>Recorded ops (3 per repetition): the workload's 1,000 repetitions, and 10x and 100x that to show
    /// how the per-op cost grows.</summary>
    [Params(3000, 30000, 300000)]
    public int Ops { get; set; } = 3000;

    [GlobalSetup]
    public void Setup()
    {
        _x0 = Tensor.RandomNormal(Shape.Of(1, 10), seed: 0);
        _p = (Tensor.RandomNormal(Shape.Of(1, 10), seed: 1, std: 0.5), Tensor.RandomNormal(Shape.Of(1, 10), seed: 2, std: 0.1));
    }

    private Tensor Forward((Tensor W, Tensor B) p)
    {
        var x = _x0;
        for (int i = 0; i < Ops / 3; i++) x = Tanh(x * p.W + p.B);
        return Sum(x);
    }

    [Benchmark(Description = "fwd+bwd")]
    public (Tensor, Tensor) ForwardBackward() => Ad.Grad(Forward, _p);

    [Benchmark(Description = "fwd (graph recorded)")]
    public Tensor ForwardOnly() => Forward(_p);

}
