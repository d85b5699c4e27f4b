// Write your own cell: a minimal GRU from public ops (MinGru.cs), trained on the adding problem
// (Hochreiter & Schmidhuber 1997): each step carries a value in [0, 1] and a marker; the target is the sum of the
// two marked values. The README's "Write your own cell" section quotes this program's regions.
//   dotnet run --project examples/CustomCell -- [--steps N] [--length T] [--hidden H] [--batch B] [--seed S]
using Autograd;
using Autograd.Optim;

namespace Autograd.Examples.CustomCell;

/// <summary>Settings of a run.</summary>
public sealed record Options(int Steps = 300, int Length = 10, int Hidden = 16, int Batch = 32, int Seed = 1, int LogEvery = 50)
{
    /// <summary>Parses <c>--steps 300 --length 10 ...</c>.</summary>
    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            int v = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--steps" => o with { Steps = v },
                "--length" => o with { Length = v },
                "--hidden" => o with { Hidden = v },
                "--batch" => o with { Batch = v },
                "--seed" => o with { Seed = v },
                "--log-every" => o with { LogEvery = v },
                _ => throw new ArgumentException($"unknown option {args[i]}; use --steps, --length, --hidden, --batch, --seed, --log-every"),
            };
        }
        return o;
    }
}

/// <summary>Losses seen during a run.</summary>
public sealed record Result(double FirstLoss, double LastLoss, IReadOnlyList<double> Losses);

public static class Program
{
    public static int Main(string[] args)
    {
        var result = Run(Options.Parse(args), Console.Out);
        return double.IsFinite(result.LastLoss) && result.LastLoss < result.FirstLoss ? 0 : 1;
    }

    /// <summary>Trains the model and reports the loss every <see cref="Options.LogEvery"/> steps.</summary>
    public static Result Run(Options o, TextWriter log)
    {
        var rng = new Random(o.Seed);
        var model = Model.Create(2, o.Hidden, rng);
        var opt = new Adam(lr: 1e-2);
        var state = opt.Init(model);
        var losses = new List<double>();
        for (int step = 1; step <= o.Steps; step++)
        {
            var (xs, ys) = AddingProblem(o.Length, o.Batch, rng);
            #region readme-customcell-train
            var (loss, grads) = Ad.ValueAndGrad((Model m) => Model.Loss(m, xs, ys), model);
            (model, state) = opt.Step(model, grads, state);
            #endregion
            losses.Add(loss.Item());
            if (step == 1 || step % o.LogEvery == 0 || step == o.Steps)
                log.WriteLine($"step {step,5}  mse {Smoothed(losses):F4}   (always guessing the mean gives about 0.167)");
        }
        return new Result(losses[0], Smoothed(losses), losses);
    }

    // The mean of the last few losses: one batch is noisy.
    private static double Smoothed(List<double> losses) => losses.TakeLast(Math.Min(20, losses.Count)).Average();

    /// <summary>A batch of the adding problem: xs [T, B, 2] (value, marker), targets [B, 1] = the sum of the two marked values.</summary>
    public static (Tensor Xs, Tensor Targets) AddingProblem(int length, int batch, Random rng)
    {
        var xs = new float[length * batch * 2];
        var ys = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            int first = rng.Next(length), second = rng.Next(length - 1);
            if (second >= first) second++;
            for (int t = 0; t < length; t++)
            {
                float v = (float)rng.NextDouble();
                xs[(t * batch + b) * 2] = v;
                if (t == first || t == second) { xs[(t * batch + b) * 2 + 1] = 1; ys[b] += v; }
            }
        }
        return (Tensor.FromArray(xs, length, batch, 2), Tensor.FromArray(ys, batch, 1));
    }
}
