using Autograd.Data;
using Autograd.Examples.CharRnn;

namespace Autograd.Tests.Examples;

/// <summary>The main job runs tiny end to end: it learns, saves, resumes, samples, and its checkpoint round-trips.</summary>
public class CharRnnSmokeTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("charrnn-").FullName;
    private static readonly string Data = Path.Combine(RepoPaths.Root, "examples/data/tinyshakespeare.txt");

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private string[] Tiny(int steps) =>
        ["--data", Data, "--limit", "20000", "--hidden", "32", "--embed", "16", "--seq", "16", "--batch", "4", "--steps", $"{steps}",
         "--eval-every", "20", "--sample-every", "0", "--sample-length", "40", "--log-every", "5", "--lr", "0.01", "--plain", "--out", _out];

    private static (int Code, string Output) RunMain(string[] args)
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try { return (Autograd.Examples.CharRnn.Program.Main(args), output.ToString()); }
        finally { Console.SetOut(previous); }
    }

    [Fact]
    public void Trains_saves_resumes_and_samples()
    {
        var o = Options.Parse(Tiny(40));
        var r = Trainer.Train(o, TextWriter.Null);
        Assert.Equal(1, r.FirstStep);
        Assert.All(r.Train, p => Assert.True(double.IsFinite(p.Loss)));
        Assert.True(r.Train[^1].Loss < r.Train[0].Loss - 0.3, $"train loss {r.Train[0].Loss} -> {r.Train[^1].Loss}");
        Assert.True(r.ValidationLoss < Math.Log(65), $"validation loss {r.ValidationLoss}");
        Assert.True(File.Exists(o.CheckpointPath) && File.Exists(o.PlotPath));
        Assert.Contains("validation", File.ReadAllText(o.PlotPath));

        var (code, resumed) = RunMain([.. Tiny(50), "--resume", o.CheckpointPath]);
        Assert.Equal(0, code);
        Assert.Contains("resuming at step 41", resumed);
        Assert.Contains("step     45", resumed);
        Assert.DoesNotContain("step      5 ", resumed);

        var (code2, sampled) = RunMain(["--sample-only", "--out", _out, "--sample-length", "60", "--prime", "First"]);
        Assert.Equal(0, code2);
        Assert.StartsWith("First", sampled.Trim('\n'));
        Assert.True(sampled.Length >= 60);
    }

    [Fact]
    public void A_loaded_checkpoint_gives_the_same_loss_on_a_window()
    {
        var o = Options.Parse(Tiny(10));
        var trained = Trainer.Train(o, TextWriter.Null).Model;
        var (saved, _) = Trainer.Load(o.CheckpointPath, o);
        Assert.Equal(["emb.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "out.weight", "out.bias"],
            saved.Parameters.ParameterNames());
        Assert.Equal(10, saved.OptimizerState.Step);
        var streams = new TokenStreams(saved.Vocabulary!.Encode(File.ReadAllText(Data)[..20000]), 4);
        var (window, _) = streams.TrainingWindow(0, 16);
        Assert.Equal(CharModel.Forward(trained, window, null).Loss.Item(), CharModel.Forward(saved.Parameters, window, null).Loss.Item());
    }
}
