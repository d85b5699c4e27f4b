using Autograd;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Benchmarks;

/// <summary>The W2/W4 char-LM: embedding(V, D) → recurrent(H) → linear(H, V), mean softmax cross-entropy over T·B.
/// <typeparamref name="R"/> is the recurrent part: a built-in layer or a user-composed cell.</summary>
public sealed record CharLm<R>(Embedding Emb, R Rnn, Linear Head)
{
    public const int V = 65, D = 32, H = 128, T = 50, B = 32;

    public static Tensor Loss(CharLm<R> m, int[] tokens, int[] targets, Func<R, Tensor, Tensor> hidden) =>
        CrossEntropy(Reshape(m.Head.Apply(hidden(m.Rnn, m.Emb.Apply(tokens, [T, B]))), T * B, V), targets);

    /// <summary>Random tokens and targets, like the PyTorch script's <c>torch.randint(V, ...)</c>.</summary>
    public static (int[] Tokens, int[] Targets) Data(int seed)
    {
        var rng = new Random(seed);
        return (Enumerable.Range(0, T * B).Select(_ => rng.Next(V)).ToArray(), Enumerable.Range(0, T * B).Select(_ => rng.Next(V)).ToArray());
    }
}

/// <summary>An LSTM step a user writes from public ops only (the W2 "hand-written cell" variant; torch/cells.py's
/// <c>lstm_step</c>): same weights and equations as <see cref="LstmCell"/>, no fused or projected paths.</summary>
public sealed record ComposedLstm(Tensor WeightIh, Tensor WeightHh, Tensor BiasIh, Tensor BiasHh)
{
    public static ComposedLstm From(LstmCell c) => new(c.WeightIh, c.WeightHh, c.BiasIh!, c.BiasHh!);

    public ((Tensor H, Tensor C) Carry, Tensor Y) Step((Tensor H, Tensor C) s, Tensor x)
    {
        var g = Chunk(Affine(x, WeightIh, BiasIh) + Affine(s.H, WeightHh, BiasHh), 4, axis: -1);
        var (i, f, c, o) = (Sigmoid(g[0]), Sigmoid(g[1]), Tanh(g[2]), Sigmoid(g[3]));
        var c1 = f * s.C + i * c;
        var h1 = o * Tanh(c1);
        return ((h1, c1), h1);
    }

    public Tensor Run(Tensor xs)
    {
        var zeros = Tensor.Zeros(Shape.Of(xs.Shape[1], WeightHh.Shape[1]), xs.DType);
        return xs.Scan((zeros, zeros), Step).Ys;
    }
}
