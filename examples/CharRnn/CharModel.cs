using Autograd.Data;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Examples.CharRnn;

/// <summary>The recurrent state carried across windows: h [L, B, H], and c [L, B, H] for an LSTM (null otherwise).</summary>
public sealed record RecurrentState(Tensor H, Tensor? C)
{
    /// <summary>The same values cut off from the graph (PyTorch's <c>detach</c>): truncated BPTT stops here.</summary>
    public RecurrentState Detach() => new(StopGradient(H), C is null ? null : StopGradient(C));
}

/// <summary>
/// The character language model of the PyTorch script, as a parameter record:
/// <code>
/// e_t = Emb[x_t]                  (Embedding, [T, B] → [T, B, E])
/// h_t, s_t = Rnn(e_t, s_{t−1})    (Lstm, Gru or Rnn layer, [T, B, E] → [T, B, H])
/// logits_t = Out(h_t)             (Linear, [T, B, H] → [T, B, V])
/// loss = mean_{t,b} CE(logits_t, x_{t+1})
/// </code>
/// <see cref="Rnn"/> holds an <see cref="Lstm"/>, a <see cref="Gru"/> or an <see cref="Nn.Rnn"/>; all three are
/// parameter trees, so the whole model differentiates as one record.
/// </summary>
public sealed record CharModel(Embedding Emb, object Rnn, Nn.Linear Out)
{
    /// <summary>A model with PyTorch's initializations, drawn from <paramref name="rng"/> (embedding, layer, output).</summary>
    public static CharModel Create(string cell, int vocabSize, int embed, int hidden, int layers, Random rng)
    {
        var emb = Embedding.Create(vocabSize, embed, rng);
        var options = new RecurrentOptions(NumLayers: layers);
        object rnn = cell switch
        {
            "lstm" => Lstm.Create(embed, hidden, rng, options),
            "gru" => Gru.Create(embed, hidden, rng, options),
            "rnn" => Nn.Rnn.Create(embed, hidden, rng, options),
            _ => throw new ArgumentException($"unknown cell '{cell}'."),
        };
        return new CharModel(emb, rnn, Nn.Linear.Create(hidden, vocabSize, rng));
    }

    /// <summary>The PyTorch names of the parameters in <see cref="Tree.Flatten"/> order (<c>emb.weight</c>,
    /// <c>rnn.weight_ih_l0</c>, ..., <c>out.weight</c>, <c>out.bias</c>), as the script's <c>state_dict()</c>.</summary>
    public IReadOnlyList<string> ParameterNames()
    {
        var layer = Rnn switch
        {
            Lstm l => l.NamedParameters(),
            Gru g => g.NamedParameters(),
            Nn.Rnn r => r.NamedParameters(),
            _ => throw new InvalidOperationException($"unknown layer {Rnn.GetType().Name}."),
        };
        return ["emb.weight", .. layer.Select(p => "rnn." + p.Name), "out.weight", "out.bias"];
    }

    /// <summary>The layer over x [T, B, E] from <paramref name="state"/> (zeros when null): outputs [T, B, H] and the new state.</summary>
    public (Tensor Output, RecurrentState State) RunLayer(Tensor x, RecurrentState? state) => Rnn switch
    {
        Lstm l => l.Forward(x, state?.H, state?.C) is var (y, h, c) ? (y, new RecurrentState(h, c)) : default,
        Gru g => g.Forward(x, state?.H) is var (y, h) ? (y, new RecurrentState(h, null)) : default,
        Nn.Rnn r => r.Forward(x, state?.H) is var (y, h) ? (y, new RecurrentState(h, null)) : default,
        _ => throw new InvalidOperationException($"unknown layer {Rnn.GetType().Name}."),
    };

    /// <summary>Logits [T, B, V] for a [T, B] window of indices, and the state after it.</summary>
    public (Tensor Logits, RecurrentState State) Logits(int[] inputs, int[] shape, RecurrentState? state)
    {
        var (y, next) = RunLayer(Emb.Apply(inputs, shape), state);
        return (Out.Apply(y), next);
    }

    /// <summary>The mean cross-entropy (nats/char) of a window and the state after it: a pure function of the
    /// parameters, the window and the incoming state (null at a reset).</summary>
    public static (Tensor Loss, RecurrentState State) Forward(CharModel p, BpttWindow window, RecurrentState? state)
    {
        var (logits, next) = p.Logits(window.Inputs, window.Shape, state);
        return (Losses.TimeCrossEntropy(logits, window.Targets), next);
    }

    /// <summary>One character for sampling: the state after <paramref name="index"/> and the logits [1, 1, V] of the next.</summary>
    public (RecurrentState State, Tensor Logits) Next(RecurrentState? state, int index)
    {
        var (logits, next) = Logits([index], [1, 1], state);
        return (next.Detach(), logits);
    }
}
