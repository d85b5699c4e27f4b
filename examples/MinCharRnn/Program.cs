// Lesson 2: Karpathy's min-char-rnn (https://gist.github.com/karpathy/d4dee566867f8291f086), with the gradients
// from Ad.ValueAndGrad instead of a hand-written backward pass. Same recipe: one-hot input, a tanh RNN with Wxh,
// Whh, Why, bh, by, loss summed over 25 steps, elementwise gradient clipping to [-5, 5], Adagrad with lr 0.1, the
// hidden state carried from one sequence to the next, and every 100 iterations a sample and the smoothed loss.
//   dotnet run --project examples/MinCharRnn -c Release [-- --iterations 5000 --hidden 100 --seq 25 --data FILE]
using System.Globalization;
using Autograd.Data;
using Autograd.Optim;
using Autograd.Training;
using static Autograd.Ops;

namespace Autograd.Examples.MinCharRnn;

/// <summary>The parameters, as in the original (row-vector convention here: h is [1, H]):
/// h_t = tanh(x_t Wxhᵀ + h_{t−1} Whhᵀ + bh),  y_t = h_t Whyᵀ + by,  p_t = softmax(y_t).</summary>
public sealed record MinCharParams(Tensor Wxh, Tensor Whh, Tensor Why, Tensor Bh, Tensor By)
{
    /// <summary>Weights from N(0, 0.01²), biases zero, as <c>np.random.randn(...) * 0.01</c>.</summary>
    public static MinCharParams Create(int vocab, int hidden, Random rng) => new(
        Tensor.RandomNormal(Shape.Of(hidden, vocab), rng, 0, 0.01), Tensor.RandomNormal(Shape.Of(hidden, hidden), rng, 0, 0.01),
        Tensor.RandomNormal(Shape.Of(vocab, hidden), rng, 0, 0.01), Tensor.Zeros(Shape.Of(hidden)), Tensor.Zeros(Shape.Of(vocab)));

    /// <summary>The original's <c>lossFun</c>: the loss summed over the sequence, and the last hidden state.</summary>
    public (Tensor Loss, Tensor H) Loss(int[] inputs, int[] targets, Tensor hprev)
    {
        var xs = Affine(OneHot(inputs, Wxh.Shape[1]), Wxh, Bh);   // [T, H]: every x_t Wxhᵀ + bh at once
        var h = hprev;
        var hs = new Tensor[inputs.Length];
        for (int t = 0; t < inputs.Length; t++) hs[t] = h = Tanh(Slice(xs, 0, t, t + 1) + Affine(h, Whh));
        var logits = Affine(Concat(hs, axis: 0), Why, By);   // [T, V]
        return (CrossEntropy(logits, targets, reduction: Reduction.Sum), h);
    }

    /// <summary>The logits of the next character after feeding <paramref name="index"/> from h, and the new h.</summary>
    public (Tensor H, Tensor Logits) Next(Tensor h, int index)
    {
        var h1 = Tanh(Affine(OneHot([index], Wxh.Shape[1]), Wxh, Bh) + Affine(h, Whh));
        return (StopGradient(h1), Affine(h1, Why, By));
    }

    private static Tensor OneHot(int[] ids, int vocab)
    {
        var data = new float[ids.Length * vocab];
        for (int t = 0; t < ids.Length; t++) data[t * vocab + ids[t]] = 1;
        return Tensor.FromArray(data, ids.Length, vocab);
    }
}

/// <summary>What a run did: the per-iteration losses (summed over the sequence) and the smoothed loss at the end.</summary>
public sealed record MinCharResult(IReadOnlyList<double> Losses, double SmoothLoss, string LastSample);

public static class Program
{
    public static int Main(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Int(string name, int fallback) => Arg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var text = File.ReadAllText(Arg("--data") ?? DataFile());
        if (Int("--limit", 0) is > 0 and var limit && limit < text.Length) text = text[..limit];
        Run(text, Int("--iterations", 5000), Int("--hidden", 100), Int("--seq", 25), Int("--sample-every", 100), Int("--sample-length", 200), Console.Out);
        return 0;
    }

    public static MinCharResult Run(string text, int iterations, int hidden, int seqLength, int sampleEvery, int sampleLength, TextWriter log)
    {
        var vocab = Vocabulary.FromText(text);
        var data = vocab.Encode(text);
        log.WriteLine($"data has {data.Length} characters, {vocab.Size} unique.");
        var rng = new Random(0);
        var p = MinCharParams.Create(vocab.Size, hidden, rng);
        var adagrad = new Adagrad(0.1);
        var memory = adagrad.Init(p);
        double smooth = -Math.Log(1.0 / vocab.Size) * seqLength;   // loss at iteration 0
        var losses = new List<double>();
        var hprev = Tensor.Zeros(Shape.Of(1, hidden));
        string sample = "";
        for (int n = 0, at = 0; n < iterations; n++, at += seqLength)
        {
            if (at + seqLength + 1 >= data.Length || n == 0) { hprev = Tensor.Zeros(Shape.Of(1, hidden)); at = 0; }   // go from start of data
            int[] inputs = data[at..(at + seqLength)], targets = data[(at + 1)..(at + seqLength + 1)];
            if (n % sampleEvery == 0)
            {
                var ids = Sampling.Generate(inputs[..1], hprev, p.Next, sampleLength, temperature: 1.0, topK: null, rng);
                sample = vocab.Decode(ids);
                log.WriteLine($"----\n {sample} \n----");
            }
            var (loss, h, grads) = Ad.ValueAndGrad((MinCharParams q) => q.Loss(inputs, targets, hprev), p);
            hprev = h;   // ValueAndGrad returns h cut from the graph: the state goes on, its gradient does not
            smooth = smooth * 0.999 + loss.Item() * 0.001;
            losses.Add(loss.Item());
            if (n % sampleEvery == 0) log.WriteLine($"iter {n}, loss: {smooth:F6}");
            (p, memory) = adagrad.Step(p, Clip.ByValue(grads, 5), memory);   // clip to mitigate exploding gradients
        }
        return new MinCharResult(losses, smooth, sample);
    }

    private static string DataFile()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "examples/data/tinyshakespeare.txt"))) return Path.Combine(dir.FullName, "examples/data/tinyshakespeare.txt");
        throw new FileNotFoundException("examples/data/tinyshakespeare.txt not found above the current directory; pass --data FILE.");
    }
}
