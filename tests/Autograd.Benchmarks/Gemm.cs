using Autograd;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks;

/// <summary>Float32 square GEMM through the public <see cref="Ops.MatMul"/> (2 threads). GFLOP/s = 2n³ / time.</summary>
[MemoryDiagnoser]
public class Gemm
{
    private Tensor _a = null!, _b = null!;

    [Params(256, 1024, 4096)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _a = Tensor.RandomNormal(Shape.Of(N, N), seed: 1);
        _b = Tensor.RandomNormal(Shape.Of(N, N), seed: 2);
    }

    [Benchmark]
    public Tensor MatMul() => Ops.MatMul(_a, _b);
}
