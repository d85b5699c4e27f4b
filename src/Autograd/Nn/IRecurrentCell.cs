namespace Autograd.Nn;

/// <summary>
/// A recurrent cell as the stacked layers (<see cref="Rnn"/>, <see cref="Lstm"/>, <see cref="Gru"/>) use it: the
/// input-side projection is split from the step so that a layer projects all T steps with one GEMM and only the
/// hidden-side part runs inside the loop. <c>Step(c, x)</c> equals <c>StepProjected(c, ProjectInput(x))</c>.
/// </summary>
/// <typeparam name="TCarry">The carry: h [B, H] for RNN and GRU, <see cref="LstmState"/> for LSTM.</typeparam>
public interface IRecurrentCell<TCarry>
{
    /// <summary>D, the number of input features.</summary>
    int InputSize { get; }

    /// <summary>H, the number of hidden features.</summary>
    int HiddenSize { get; }

    /// <summary>The input-side pre-activations W_ih x + b_ih: [.., D] → [.., G·H], gate blocks stacked as in PyTorch.</summary>
    Tensor ProjectInput(Tensor x);

    /// <summary>One step from the projected input row [B, G·H] (a row of <see cref="ProjectInput"/>).</summary>
    (TCarry Carry, Tensor Y) StepProjected(TCarry carry, Tensor xProjected);

    /// <summary>One step: (carry, x [B, D]) → (carry', y [B, H]).</summary>
    (TCarry Carry, Tensor Y) Step(TCarry carry, Tensor x);

    /// <summary>The parameters with PyTorch's names and order: weight_ih, weight_hh, bias_ih, bias_hh (biases only when present).</summary>
    IReadOnlyList<(string Name, Tensor Value)> NamedParameters();
}
