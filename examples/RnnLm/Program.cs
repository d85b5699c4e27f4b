// Lesson 3: the RNN language model of "Deep Learning from Scratch 2" (ch. 5, train_custom_loop.py):
// Embedding -> RNN -> Affine -> TimeSoftmaxWithLoss, truncated BPTT over parallel batches with the hidden state
// carried across iterations (its gradient stopped), plain SGD, perplexity reported per epoch as the book does.
// First on "you say goodbye and i say hello .", then on the first 1000 words of the bundled text (word level).
//   dotnet run --project examples/RnnLm -c Release [-- --epochs 100 --words 1000]
using System.Globalization;
using Autograd.Nn;
using Autograd.Optim;
using static Autograd.Ops;

namespace Autograd.Examples.RnnLm;

/// <summary>The SimpleRnnlm of the book: e_t = Embed[w_t]; h_t = tanh(e_t Wxᵀ + h_{t−1} Whᵀ + b); y_t = Affine(h_t).</summary>
public sealed record SimpleRnnlm(Embedding Embed, Rnn Rnn, Nn.Linear Affine)
{
    /// <summary>The book's initialization: embedding N(0, 0.01²), RNN weights N(0, 1/D) and N(0, 1/H) (Xavier), affine N(0, 1/H), biases zero.</summary>
    public static SimpleRnnlm Create(int vocab, int wordvec, int hidden, Random rng)
    {
        var cell = new RnnCell(Tensor.RandomNormal(Shape.Of(hidden, wordvec), rng, 0, 1 / Math.Sqrt(wordvec)),
            Tensor.RandomNormal(Shape.Of(hidden, hidden), rng, 0, 1 / Math.Sqrt(hidden)), Tensor.Zeros(Shape.Of(hidden)), null);
        return new SimpleRnnlm(new Embedding(Tensor.RandomNormal(Shape.Of(vocab, wordvec), rng, 0, 0.01)), new Rnn([cell], new RecurrentOptions()),
            new Nn.Linear(Tensor.RandomNormal(Shape.Of(vocab, hidden), rng, 0, 1 / Math.Sqrt(hidden)), Tensor.Zeros(Shape.Of(vocab))));
    }

    /// <summary>Mean loss over a [T, B] window (time-major ids) from h [1, B, H], and the last h.</summary>
    public (Tensor Loss, Tensor H) Loss(int[] xs, int[] ts, int time, int batch, Tensor h)
    {
        var (hs, hn) = Rnn.Forward(Embed.Apply(xs, [time, batch]), h);
        return (Losses.TimeCrossEntropy(Affine.Apply(hs), ts), hn);
    }
}

/// <summary>The perplexity after each epoch of each corpus (the tiny sentence, then the word slice).</summary>
public sealed record RnnLmResult(IReadOnlyList<double> SentencePerplexity, IReadOnlyList<double> WordsPerplexity, int Vocabulary);

public static class Program
{
    public static int Main(string[] args)
    {
        int Int(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        Run(Int("--epochs", 100), Int("--words", 1000), Int("--hidden", 100), Console.Out);
        return 0;
    }

    public static RnnLmResult Run(int epochs, int words, int hidden, TextWriter log)
    {
        log.WriteLine("corpus: you say goodbye and i say hello .");
        var sentence = Train(Words("you say goodbye and i say hello ."), epochs, batch: 1, time: 3, wordvec: 10, hidden: 10, log, out _);
        var text = File.ReadAllText(DataFile()).ToLowerInvariant().Replace("\n", " <eos> ");
        var corpus = Words(text).Take(words).ToArray();
        log.WriteLine($"corpus: the first {corpus.Length} words of tinyshakespeare.txt");
        var slice = Train(corpus, epochs, batch: 10, time: 5, wordvec: 100, hidden, log, out int vocab);
        return new RnnLmResult(sentence, slice, vocab);
    }

    /// <summary>The book's <c>train_custom_loop.py</c>: B read positions spread evenly over the corpus, windows of T words.</summary>
    private static List<double> Train(string[] corpus, int epochs, int batch, int time, int wordvec, int hidden, TextWriter log, out int vocabSize)
    {
        var ids = new Dictionary<string, int>();
        int[] seq = [.. corpus.Select(w => ids.TryGetValue(w, out int i) ? i : ids[w] = ids.Count)];
        vocabSize = ids.Count;
        int[] xsAll = seq[..^1], tsAll = seq[1..];
        int dataSize = xsAll.Length, maxIters = dataSize / (batch * time), jump = (corpus.Length - 1) / batch;
        log.WriteLine($"corpus size: {corpus.Length}, vocabulary size: {vocabSize}");
        var model = SimpleRnnlm.Create(vocabSize, wordvec, hidden, new Random(1000));
        var sgd = new Sgd(0.1);
        var state = sgd.Init(model);
        var h = Tensor.Zeros(Shape.Of(1, batch, hidden));
        var perplexity = new List<double>();
        int timeIdx = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            double total = 0;
            for (int iter = 0; iter < maxIters; iter++)
            {
                var (xs, ts) = (new int[time * batch], new int[time * batch]);
                for (int t = 0; t < time; t++, timeIdx++)
                    for (int b = 0; b < batch; b++)
                        (xs[t * batch + b], ts[t * batch + b]) = (xsAll[(b * jump + timeIdx) % dataSize], tsAll[(b * jump + timeIdx) % dataSize]);
                var hIn = h;
                var (loss, hn, grads) = Ad.ValueAndGrad((SimpleRnnlm p) => p.Loss(xs, ts, time, batch, hIn), model);
                (model, state) = sgd.Step(model, grads, state);
                h = hn;   // stateful RNN: ValueAndGrad returns hn cut from the graph, so the state goes on and its gradient does not
                total += loss.Item();
            }
            perplexity.Add(Math.Exp(total / Math.Max(1, maxIters)));
            if (epoch <= 3 || epoch % 10 == 0 || epoch == epochs)
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| epoch {epoch} | perplexity {perplexity[^1]:F2}"));
        }
        return perplexity;
    }

    private static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string DataFile()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "examples/data/tinyshakespeare.txt"))) return Path.Combine(dir.FullName, "examples/data/tinyshakespeare.txt");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "examples/data/tinyshakespeare.txt"))) return Path.Combine(dir.FullName, "examples/data/tinyshakespeare.txt");
        throw new FileNotFoundException("examples/data/tinyshakespeare.txt not found above the current directory.");
    }
}
