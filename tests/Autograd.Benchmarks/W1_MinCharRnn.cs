using Autograd;
using Autograd.Examples.MinCharRnn;
using Autograd.Optim;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks;

/// <summary>W1: min-char-rnn's iteration (V=65, H=100, T=25, B=1, float32): forward, softmax cross-entropy summed
/// over T, backward, elementwise clipping to [−5, 5] and an Adagrad update, with the lesson's own model
/// (examples/MinCharRnn).</summary>
[MemoryDiagnoser]
public class W1_MinCharRnn
{
    private const int V = 65, H = 100, T = 25;
    private MinCharParams _p = null!;
    private AdagradState _memory = null!;
    private readonly Adagrad _adagrad = new(0.1);
    private int[] _inputs = null!, _targets = null!;
    private Tensor _h0 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        _p = MinCharParams.Create(V, H, rng);
        _memory = _adagrad.Init(_p);
        _inputs = Enumerable.Range(0, T).Select(_ => rng.Next(V)).ToArray();
        _targets = Enumerable.Range(0, T).Select(_ => rng.Next(V)).ToArray();
        _h0 = Tensor.Zeros(Shape.Of(1, H));
    }

    [Benchmark(Description = "step + Adagrad")]
    public MinCharParams Iteration()
    {
        var (_, _, grads) = Ad.ValueAndGrad((MinCharParams q) => q.Loss(_inputs, _targets, _h0), _p);
        var (p, _) = _adagrad.Step(_p, Clip.ByValue(grads, 5), _memory);
        return p;
    }
}
