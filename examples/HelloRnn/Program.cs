// Lesson 1: the "hello" character model. A tanh RNN reads one-hot "hell" and learns to predict "ello", one
// character ahead at every step; every few iterations it prints what it currently predicts.
//   dotnet run --project examples/HelloRnn -c Release [-- --iterations 200 --hidden 8 --every 20]
using System.Globalization;
using Autograd.Nn;
using Autograd.Optim;
using static Autograd.Ops;

namespace Autograd.Examples.HelloRnn;

/// <summary>The model: an RNN cell (one-hot input → hidden) and a linear read-out (hidden → next-character logits).</summary>
public sealed record HelloModel(RnnCell Cell, Nn.Linear Out)
{
    /// <summary>Logits [T, V] for one-hot inputs xs [T, 1, V]: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), y_t = W_out h_t + b_out.</summary>
    public Tensor Logits(Tensor xs)
    {
        var hs = xs.Scan(Cell.ZeroState(1), Cell.Step).Ys;            // [T, 1, H]
        return Reshape(Out.Apply(hs), xs.Shape[0], Out.OutFeatures);  // [T, V]
    }
}

/// <summary>What a run printed, for the smoke test: the first and last loss and the final prediction.</summary>
public sealed record HelloResult(double FirstLoss, double LastLoss, string Prediction);

public static class Program
{
    private const string Vocab = "helo";

    public static int Main(string[] args)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        Run(Arg("--iterations", 200), Arg("--hidden", 8), Arg("--every", 20), Console.Out);
        return 0;
    }

    /// <summary>Trains on "hell" → "ello" with Adam (lr 0.05) for <paramref name="iterations"/> steps.</summary>
    public static HelloResult Run(int iterations, int hidden, int every, TextWriter log)
    {
        var rng = new Random(0);
        var model = new HelloModel(RnnCell.Create(Vocab.Length, hidden, rng), Nn.Linear.Create(hidden, Vocab.Length, rng));
        var xs = OneHot("hell");
        int[] targets = [.. "ello".Select(ch => Vocab.IndexOf(ch))];
        var adam = new Adam(0.05);
        var state = adam.Init(model);
        double first = double.NaN, last = double.NaN;
        for (int it = 1; it <= iterations; it++)
        {
            var (loss, grads) = Ad.ValueAndGrad((HelloModel p) => CrossEntropy(p.Logits(xs), targets), model);
            (model, state) = adam.Step(model, grads, state);
            last = loss.Item();
            if (it == 1) first = last;
            if (it % Math.Max(1, every) == 0 || it == 1 || it == iterations)
                log.WriteLine($"iter {it,4}  loss {last:F4}  input \"hell\" -> predicted \"{Predict(model, xs)}\"");
        }
        return new HelloResult(first, last, Predict(model, xs));
    }

    /// <summary>One-hot rows [T, 1, V] of a string over the vocabulary h, e, l, o.</summary>
    private static Tensor OneHot(string s)
    {
        var data = new float[s.Length * Vocab.Length];
        for (int t = 0; t < s.Length; t++) data[t * Vocab.Length + Vocab.IndexOf(s[t])] = 1;
        return Tensor.FromArray(data, s.Length, 1, Vocab.Length);
    }

    private static string Predict(HelloModel model, Tensor xs)
    {
        var logits = model.Logits(xs);
        int t = logits.Shape[0], v = logits.Shape[1];
        var l = logits.ToDoubleArray();
        return new string([.. Enumerable.Range(0, t).Select(i => Vocab[Enumerable.Range(0, v).MaxBy(j => l[i * v + j])])]);
    }
}
