using Autograd;
using Autograd.Nn;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks;

/// <summary>W4: GRU char-LM, same sizes as W2, float32, forward + backward (no optimizer).</summary>
[MemoryDiagnoser]
public class W4_GruCharLm
{
    private CharLm<Gru> _model = null!;
    private int[] _tokens = null!, _targets = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        const int V = CharLm<Gru>.V, D = CharLm<Gru>.D, H = CharLm<Gru>.H;
        _model = new(Embedding.Create(V, D, rng), Gru.Create(D, H, rng), Linear.Create(H, V, rng));
        (_tokens, _targets) = CharLm<Gru>.Data(1);
    }

    [Benchmark(Description = "built-in Gru")]
    public CharLm<Gru> BuiltIn() => Ad.Grad((CharLm<Gru> m) => CharLm<Gru>.Loss(m, _tokens, _targets, (r, x) => r.Forward(x).Output), _model);
}
