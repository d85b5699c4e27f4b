using Autograd;
using Autograd.Nn;
using Autograd.Testing;
using BenchmarkDotNet.Attributes;
using static Autograd.Ops;

namespace Autograd.Benchmarks;

/// <summary>W5: a full float64 gradient check of an LSTM unrolled T=3, D=4, H=5, B=2 over all 264 inputs and
/// parameters (x, h0, c0, W_ih, W_hh, b_ih, b_hh); loss = sum of the hidden outputs. Full elementwise central
/// differences versus random-direction probes (the peer of gradcheck's fast_mode).</summary>
[MemoryDiagnoser]
public class W5_GradCheckLstm
{
    private (Tensor X, Tensor H0, Tensor C0, LstmCell Cell) _p;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        _p = (Tensor.RandomNormal(Shape.Of(3, 2, 4), rng, dtype: DType.Float64), Tensor.RandomNormal(Shape.Of(2, 5), rng, dtype: DType.Float64),
              Tensor.RandomNormal(Shape.Of(2, 5), rng, dtype: DType.Float64), LstmCell.Create(4, 5, rng, DType.Float64));
    }

    private static Tensor Loss((Tensor X, Tensor H0, Tensor C0, LstmCell Cell) p) =>
        Sum(p.X.Scan(new LstmState(p.H0, p.C0), p.Cell.Step).Ys);

    [Benchmark(Baseline = true, Description = "elementwise (full)")]
    public bool Full() => GradCheck.Check(Loss, _p, new GradCheckOptions { Mode = GradCheckMode.Elementwise }).Passed;

    [Benchmark(Description = "random directions")]
    public bool RandomDirections() => GradCheck.Check(Loss, _p, new GradCheckOptions { Mode = GradCheckMode.RandomDirection }).Passed;
}
