using System.Globalization;
using System.Text.Json;

namespace Autograd.Examples.CharRnn;

/// <summary>
/// The command line of the character model. Defaults are the PyTorch script's recipe
/// (<c>/work/shared/bench/torch/charlm_train.py</c>): embedding 64, one LSTM layer of 256, sequences of 64 over
/// 32 parallel streams, Adam 2e-3, global-norm clipping at 5.
/// </summary>
public sealed record Options
{
    public string Cell { get; init; } = "lstm";
    public int Embed { get; init; } = 64;
    public int Hidden { get; init; } = 256;
    public int Layers { get; init; } = 1;
    public int Steps { get; init; } = 3000;
    public int Batch { get; init; } = 32;
    public int Seq { get; init; } = 64;
    public double Lr { get; init; } = 2e-3;
    public double Clip { get; init; } = 5.0;
    public int Seed { get; init; } = 1;
    public string? Data { get; init; }
    /// <summary>Use only the first this many characters of the data (0: all); for quick runs and tests.</summary>
    public int Limit { get; init; }
    public string Out { get; init; } = Path.Combine("out", "charrnn");
    public string? Resume { get; init; }
    public bool SampleOnly { get; init; }
    public int EvalEvery { get; init; } = 500;
    public int SampleEvery { get; init; } = 1000;
    public int LogEvery { get; init; } = 100;
    public int SampleLength { get; init; } = 400;
    public double Temperature { get; init; } = 0.8;
    public string Prime { get; init; } = "\n";
    /// <summary>Show the single-line live bar (on when stdout is a terminal).</summary>
    public bool Live { get; init; } = !Console.IsOutputRedirected;

    public const string Usage = """
        usage: CharRnn [--cell lstm|gru|rnn] [--embed N] [--hidden N] [--layers N] [--steps N] [--batch N] [--seq N]
                       [--lr X] [--clip X] [--seed N] [--data FILE] [--limit CHARS] [--out DIR] [--resume CHECKPOINT]
                       [--sample-only] [--eval-every N] [--sample-every N] [--log-every N] [--sample-length N]
                       [--temperature X] [--prime TEXT] [--plain]
        Trains a character language model (embedding -> recurrent layer -> linear) on --data (default
        examples/data/tinyshakespeare.txt) and writes a checkpoint and a loss plot into --out (default out/charrnn).
        --steps is the total step count: --resume continues a saved run up to it. --sample-only prints samples.
        """;

    /// <summary>Parses <paramref name="args"/>; an unknown flag or a bad value is an <see cref="ArgumentException"/>.</summary>
    public static Options Parse(IReadOnlyList<string> args)
    {
        var o = new Options();
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{flag} needs a value.");
            int Int() => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v
                : throw new ArgumentException($"{flag} needs a non-negative integer, got '{args[i]}'.");
            double Real() => double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 ? v
                : throw new ArgumentException($"{flag} needs a non-negative number, got '{args[i]}'.");
            o = flag switch
            {
                "--cell" => o with { Cell = Next() is "lstm" or "gru" or "rnn" ? args[i] : throw new ArgumentException($"--cell must be lstm, gru or rnn, got '{args[i]}'.") },
                "--embed" => o with { Embed = Int() },
                "--hidden" => o with { Hidden = Int() },
                "--layers" => o with { Layers = Int() },
                "--steps" => o with { Steps = Int() },
                "--batch" => o with { Batch = Int() },
                "--seq" => o with { Seq = Int() },
                "--lr" => o with { Lr = Real() },
                "--clip" => o with { Clip = Real() },
                "--seed" => o with { Seed = Int() },
                "--data" => o with { Data = Next() },
                "--limit" => o with { Limit = Int() },
                "--out" => o with { Out = Next() },
                "--resume" => o with { Resume = Next() },
                "--sample-only" => o with { SampleOnly = true },
                "--eval-every" => o with { EvalEvery = Int() },
                "--sample-every" => o with { SampleEvery = Int() },
                "--log-every" => o with { LogEvery = Int() },
                "--sample-length" => o with { SampleLength = Int() },
                "--temperature" => o with { Temperature = Real() },
                "--prime" => o with { Prime = Next() },
                "--plain" => o with { Live = false },
                _ => throw new ArgumentException($"unknown option '{flag}'."),
            };
        }
        if (o.SampleOnly && o.Resume is null && !File.Exists(o.CheckpointPath))
            throw new ArgumentException($"--sample-only needs --resume <checkpoint> or a checkpoint at {o.CheckpointPath}.");
        return o;
    }

    /// <summary>The checkpoint this run writes.</summary>
    public string CheckpointPath => Path.Combine(Out, "model.safetensors");

    /// <summary>The loss plot this run writes.</summary>
    public string PlotPath => Path.Combine(Out, "loss.svg");

    /// <summary>The model's shape as JSON, stored in the checkpoint so <c>--resume</c> and <c>--sample-only</c> rebuild it.</summary>
    public string ModelConfigJson() => JsonSerializer.Serialize(new ModelConfig(Cell, Embed, Hidden, Layers, Seq, Batch, Lr, Clip, Seed));

    /// <summary>These options with the model shape of a checkpoint's config.</summary>
    public Options WithModelConfig(string json)
    {
        var c = JsonSerializer.Deserialize<ModelConfig>(json) ?? throw new InvalidDataException("the checkpoint's config is empty.");
        return this with { Cell = c.Cell, Embed = c.Embed, Hidden = c.Hidden, Layers = c.Layers };
    }

    /// <summary>The data file: --data, else <c>examples/data/tinyshakespeare.txt</c> found above the current directory
    /// or the program's directory (so it works from the repository root and from the project folder).</summary>
    public string DataPath()
    {
        if (Data is not null) return Data;
        const string relative = "examples/data/tinyshakespeare.txt";
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"no --data given and {relative} was not found above {Directory.GetCurrentDirectory()}.");
    }
}

/// <summary>The run configuration saved in a checkpoint.</summary>
public sealed record ModelConfig(string Cell, int Embed, int Hidden, int Layers, int Seq, int Batch, double Lr, double Clip, int Seed);
