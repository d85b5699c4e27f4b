using Autograd.Examples.HelloRnn;
using Autograd.Examples.MinCharRnn;
using Autograd.Examples.RnnLm;

namespace Autograd.Tests.Examples;

/// <summary>The three lessons run tiny and learn: their losses fall and stay finite.</summary>
public class LessonSmokeTests
{
    [Fact]
    public void HelloRnn_learns_to_predict_ello_from_hell()
    {
        var log = new StringWriter();
        var r = Autograd.Examples.HelloRnn.Program.Run(iterations: 60, hidden: 8, every: 20, log);
        Assert.True(double.IsFinite(r.LastLoss) && r.LastLoss < r.FirstLoss / 4, $"loss {r.FirstLoss} -> {r.LastLoss}");
        Assert.Equal("ello", r.Prediction);
        Assert.Contains("predicted \"ello\"", log.ToString());
    }

    [Fact]
    public void MinCharRnn_loss_falls_and_it_prints_samples()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/data/tinyshakespeare.txt"))[..3000];
        var log = new StringWriter();
        var r = Autograd.Examples.MinCharRnn.Program.Run(text, iterations: 120, hidden: 32, seqLength: 25, sampleEvery: 100, sampleLength: 50, log);
        Assert.All(r.Losses, l => Assert.True(double.IsFinite(l)));
        double first = r.Losses.Take(10).Average(), last = r.Losses.TakeLast(10).Average();
        Assert.True(last < first - 5, $"mean loss of the first 10 iterations {first}, of the last 10 {last}");
        Assert.Equal(50, r.LastSample.EnumerateRunes().Count());
        Assert.Contains("iter 100, loss:", log.ToString());
    }

    [Fact]
    public void RnnLm_perplexity_falls_per_epoch_on_both_corpora()
    {
        var log = new StringWriter();
        var r = Autograd.Examples.RnnLm.Program.Run(epochs: 12, words: 300, hidden: 20, log);
        Assert.True(r.SentencePerplexity[^1] < r.SentencePerplexity[0] * 0.8, string.Join(", ", r.SentencePerplexity));
        Assert.True(r.WordsPerplexity[^1] < r.WordsPerplexity[0], string.Join(", ", r.WordsPerplexity));
        Assert.True(r.WordsPerplexity[0] < r.Vocabulary * 1.5, $"epoch 1 perplexity {r.WordsPerplexity[0]} for {r.Vocabulary} words");
        Assert.Contains("| epoch 1 | perplexity ", log.ToString());
    }
}
