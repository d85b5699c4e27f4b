using Autograd;
using Autograd.Training;

namespace Autograd.Tests.Training;

public class SamplingTests
{
    private static readonly Tensor Logits = Tensor.FromArray(new double[] { 0.5, 2.0, 1.9, -1, 2.0 - 1e-3 });

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-5)]
    public void Temperature_towards_zero_picks_the_argmax(double temperature)
    {
        for (int seed = 0; seed < 200; seed++)
            Assert.Equal(1, Sampling.SampleIndex(Logits, temperature, null, new Random(seed)));
    }

    [Fact]
    public void Top_k_of_one_is_the_argmax_at_any_temperature()
    {
        for (int seed = 0; seed < 200; seed++)
            Assert.Equal(1, Sampling.SampleIndex(Logits, 5.0, 1, new Random(seed)));
    }

    [Fact]
    public void Top_k_never_leaves_the_k_largest()
    {
        var rng = new Random(1);
        var seen = Enumerable.Range(0, 2000).Select(_ => Sampling.SampleIndex(Logits, 10.0, 3, rng)).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 2, 4 }, seen);
    }

    [Fact]
    public void Frequencies_follow_the_softmax_at_temperature_one()
    {
        var logits = Tensor.FromArray(new[] { Math.Log(0.1), Math.Log(0.2), Math.Log(0.7) }, 1, 3);
        var rng = new Random(42);
        var counts = new int[3];
        for (int i = 0; i < 20000; i++) counts[Sampling.SampleIndex(logits, 1.0, null, rng)]++;
        Assert.Equal(0.1, counts[0] / 20000.0, 0.015);
        Assert.Equal(0.2, counts[1] / 20000.0, 0.015);
        Assert.Equal(0.7, counts[2] / 20000.0, 0.015);
        // Temperature 2 flattens: p ∝ √(0.1, 0.2, 0.7).
        counts = new int[3];
        for (int i = 0; i < 20000; i++) counts[Sampling.SampleIndex(logits, 2.0, null, rng)]++;
        double z = Math.Sqrt(0.1) + Math.Sqrt(0.2) + Math.Sqrt(0.7);
        Assert.Equal(Math.Sqrt(0.1) / z, counts[0] / 20000.0, 0.015);
    }

    [Fact]
    public void Sampling_is_deterministic_for_a_seed()
    {
        var uniform = Tensor.Zeros(Shape.Of(10));
        int[] Draw(int seed) { var r = new Random(seed); return Enumerable.Range(0, 50).Select(_ => Sampling.SampleIndex(uniform, 1.0, null, r)).ToArray(); }
        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        Assert.Throws<ArgumentException>(() => Sampling.SampleIndex(Tensor.Zeros(Shape.Of(2, 3)), 1, null, new Random(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.SampleIndex(Logits, -1, null, new Random(0)));
        Assert.Contains("1..5", Assert.Throws<ArgumentOutOfRangeException>(() => Sampling.SampleIndex(Logits, 1, 6, new Random(0))).Message);
    }

    [Fact]
    public void Generate_threads_the_state_through_any_step_function()
    {
        // A toy "model" over V = 4 that strongly predicts (index + 1) mod 4; its state counts the calls.
        const int V = 4;
        var calls = new List<(int State, int Index)>();
        (int, Tensor) Step(int state, int index)
        {
            calls.Add((state, index));
            var l = new double[V];
            l[(index + 1) % V] = 10;
            return (state + 1, Tensor.FromArray(l));
        }
        var greedy = Sampling.Generate([2, 3], 100, Step, 6, 0.0, null, new Random(0));
        Assert.Equal(new[] { 0, 1, 2, 3, 0, 1 }, greedy);
        Assert.Equal(new[] { 2, 3, 0, 1, 2, 3, 0 }, calls.Select(c => c.Index));     // priming, then all but the last sample
        Assert.Equal(Enumerable.Range(100, 7), calls.Select(c => c.State));
        var a = Sampling.Generate([0], 0, Step, 30, 3.0, null, new Random(5));
        var b = Sampling.Generate([0], 0, Step, 30, 3.0, null, new Random(5));
        Assert.Equal(a, b);
        Assert.Empty(Sampling.Generate([0], 0, Step, 0, 1.0, null, new Random(5)));
        Assert.Throws<ArgumentException>(() => Sampling.Generate([], 0, Step, 3, 1.0, null, new Random(5)));
    }
}
