using Autograd;
using Autograd.Nn;
using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks;

/// <summary>W2: LSTM char-LM, V=65 D=32 H=128 T=50 B=32, float32, forward + backward (no optimizer).
/// Built-in <see cref="Lstm"/> layer versus the same weights in a user-composed cell scanned over time.</summary>
[MemoryDiagnoser]
public class W2_LstmCharLm
{
    private CharLm<Lstm> _builtIn = null!;
    private CharLm<ComposedLstm> _composed = null!;
    private int[] _tokens = null!, _targets = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        const int V = CharLm<Lstm>.V, D = CharLm<Lstm>.D, H = CharLm<Lstm>.H;
        _builtIn = new(Embedding.Create(V, D, rng), Lstm.Create(D, H, rng), Linear.Create(H, V, rng));
        _composed = new(_builtIn.Emb, ComposedLstm.From(_builtIn.Rnn.Cells[0]), _builtIn.Head);
        (_tokens, _targets) = CharLm<Lstm>.Data(1);
    }

    [Benchmark(Baseline = true, Description = "built-in Lstm")]
    public CharLm<Lstm> BuiltIn() => Ad.Grad((CharLm<Lstm> m) => CharLm<Lstm>.Loss(m, _tokens, _targets, (r, x) => r.Forward(x).Output), _builtIn);

    [Benchmark(Description = "user-composed cell")]
    public CharLm<ComposedLstm> Composed() => Ad.Grad((CharLm<ComposedLstm> m) => CharLm<ComposedLstm>.Loss(m, _tokens, _targets, (r, x) => r.Run(x)), _composed);
}
