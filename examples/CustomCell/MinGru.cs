using Autograd;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Examples.CustomCell;

#region readme-customcell
/// A minimal GRU written from public ops: a record of parameters and a pure step.
///   z  = σ(x Wz + h Uz + bz)
///   n  = tanh(x Wn + (z ⊙ h) Un + bn)
///   h' = (1 − z) ⊙ n + z ⊙ h
public sealed record MinGru(Tensor Wz, Tensor Uz, Tensor Bz, Tensor Wn, Tensor Un, Tensor Bn)
{
    public (Tensor Carry, Tensor Y) Step(Tensor h, Tensor x)
    {
        var z = Sigmoid(MatMul(x, Wz) + MatMul(h, Uz) + Bz);
        var n = Tanh(MatMul(x, Wn) + MatMul(z * h, Un) + Bn);
        var h1 = (1.0 - z) * n + z * h;
        return (h1, h1);
    }
}
#endregion

/// <summary>The cell, its initial state and a linear read-out of the last hidden state.</summary>
public sealed record Model(MinGru Cell, Linear Readout)
{
    /// <summary>Xavier-uniform weights, zero biases.</summary>
    public static Model Create(int inputSize, int hiddenSize, Random rng, DType dtype = DType.Float32)
    {
        Tensor W(int rows, int cols) => Initializers.XavierUniform(Shape.Of(rows, cols), rng, dtype);
        Tensor Zero() => Tensor.Zeros(Shape.Of(hiddenSize), dtype);
        var cell = new MinGru(W(inputSize, hiddenSize), W(hiddenSize, hiddenSize), Zero(), W(inputSize, hiddenSize), W(hiddenSize, hiddenSize), Zero());
        return new Model(cell, Linear.Create(hiddenSize, 1, rng, dtype));
    }

    /// <summary>The hidden size.</summary>
    public int HiddenSize => Cell.Uz.Shape[0];

    #region readme-customcell-loss
    /// Mean squared error of the read-out of the final state, for inputs xs [T, B, D] and targets [B, 1].
    public static Tensor Loss(Model m, Tensor xs, Tensor targets)
    {
        var h0 = Tensor.Zeros(Shape.Of(xs.Shape[1], m.HiddenSize), xs.DType);
        var final = xs.Scan(h0, m.Cell.Step).Final;
        return Mse(m.Readout.Apply(final), targets);
    }
    #endregion
}
