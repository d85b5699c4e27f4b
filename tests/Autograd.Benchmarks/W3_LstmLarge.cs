using Autograd;
using Autograd.Nn;
using BenchmarkDotNet.Attributes;
using static Autograd.Ops;

namespace Autograd.Benchmarks;

/// <summary>W3: one LSTM layer on dense random input, D=H=512, T=100, B=64, float32; loss = sum of all hidden
/// outputs; forward + backward including the input gradient. FLOPs ≈ 3·2·T·B·4H·(D+H) = 80.5 G at H = 512.
/// <see cref="Hidden"/> sweeps D = H over 128..1024 to show how the throughput grows with size.</summary>
[MemoryDiagnoser]
public class W3_LstmLarge
{
    private (Tensor X, Lstm Layer) _p;
    private (Tensor X, ComposedLstm Cell) _c;

    [Params(128, 256, 512, 1024)]
    public int Hidden { get; set; } = 512;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        var x = Tensor.RandomNormal(Shape.Of(100, 64, Hidden), rng);
        _p = (x, Lstm.Create(Hidden, Hidden, rng));
        _c = (x, ComposedLstm.From(_p.Layer.Cells[0]));
    }

    [Benchmark(Baseline = true, Description = "built-in Lstm")]
    public (Tensor, Lstm) BuiltIn() => Ad.Grad(((Tensor X, Lstm Layer) p) => Sum(p.Layer.Forward(p.X).Output), _p);

    [Benchmark(Description = "user-composed cell")]
    public (Tensor, ComposedLstm) Composed() => Ad.Grad(((Tensor X, ComposedLstm Cell) p) => Sum(p.Cell.Run(p.X)), _c);
}
