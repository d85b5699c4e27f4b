namespace Autograd.Nn;

/// <summary>
/// Parameter initializers. Every one draws from an explicit <see cref="Random"/> (no hidden global generator), so a
/// seed reproduces a model exactly. Shapes follow PyTorch: a weight is [out, in] (fan_out = rows, fan_in = columns).
/// </summary>
public static class Initializers
{
    /// <summary>U(−bound, bound) for every element.</summary>
    public static Tensor Uniform(Shape shape, double bound, Random rng, DType dtype = DType.Float32) =>
        Tensor.RandomUniform(shape, rng, -bound, bound, dtype);

    /// <summary>PyTorch's default for recurrent cells and layers (<c>nn.RNN/LSTM/GRU</c>): U(−1/√H, 1/√H) with H the
    /// hidden size, for weights and biases alike.</summary>
    public static Tensor PyTorchRecurrent(Shape shape, int hiddenSize, Random rng, DType dtype = DType.Float32)
    {
        if (hiddenSize <= 0) throw new ArgumentOutOfRangeException(nameof(hiddenSize), $"PyTorchRecurrent: hiddenSize must be positive, got {hiddenSize}.");
        return Uniform(shape, 1.0 / Math.Sqrt(hiddenSize), rng, dtype);
    }

    /// <summary>Xavier/Glorot uniform for a weight [out, in]: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).</summary>
    public static Tensor XavierUniform(Shape shape, Random rng, DType dtype = DType.Float32, double gain = 1.0)
    {
        var (fanIn, fanOut) = Fans(shape, "XavierUniform");
        return Uniform(shape, gain * Math.Sqrt(6.0 / (fanIn + fanOut)), rng, dtype);
    }

    /// <summary>Xavier/Glorot normal for a weight [out, in]: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).</summary>
    public static Tensor XavierNormal(Shape shape, Random rng, DType dtype = DType.Float32, double gain = 1.0)
    {
        var (fanIn, fanOut) = Fans(shape, "XavierNormal");
        return Tensor.RandomNormal(shape, rng, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), dtype);
    }

    /// <summary>LeCun normal for a weight [out, in]: N(0, σ²) with σ = 1/√fan_in. This is what "Deep Learning from
    /// Scratch 2" calls Xavier initialization (σ = 1/√D for D inputs).</summary>
    public static Tensor LeCunNormal(Shape shape, Random rng, DType dtype = DType.Float32)
    {
        var (fanIn, _) = Fans(shape, "LeCunNormal");
        return Tensor.RandomNormal(shape, rng, 0, 1.0 / Math.Sqrt(fanIn), dtype);
    }

    /// <summary>
    /// A (semi-)orthogonal matrix [rows, cols] times <paramref name="gain"/>, as <c>torch.nn.init.orthogonal_</c>: a
    /// Gaussian matrix is orthonormalized (modified Gram–Schmidt, applied twice for accuracy) along its longer side, so
    /// QᵀQ = I when rows ≥ cols and QQᵀ = I otherwise. Common for recurrent weights W_hh: it keeps the norm of h
    /// through many steps at initialization.
    /// </summary>
    public static Tensor Orthogonal(Shape shape, Random rng, DType dtype = DType.Float32, double gain = 1.0)
    {
        if (shape.Rank != 2 || shape[0] == 0 || shape[1] == 0)
            throw new ShapeMismatchException($"Orthogonal: expected a non-empty matrix shape [rows, cols], got {shape}.");
        int rows = shape[0], cols = shape[1];
        bool wide = rows < cols;
        int n = wide ? cols : rows, k = wide ? rows : cols; // orthonormalize k columns of length n
        var a = Tensor.RandomNormal(Shape.Of(n, k), rng, dtype: DType.Float64).ToDoubleArray();
        for (int j = 0; j < k; j++)
        {
            for (int pass = 0; pass < 2; pass++)
                for (int i = 0; i < j; i++)
                {
                    double dot = 0;
                    for (int r = 0; r < n; r++) dot += a[r * k + i] * a[r * k + j];
                    for (int r = 0; r < n; r++) a[r * k + j] -= dot * a[r * k + i];
                }
            double norm = 0;
            for (int r = 0; r < n; r++) norm += a[r * k + j] * a[r * k + j];
            norm = Math.Sqrt(norm);
            for (int r = 0; r < n; r++) a[r * k + j] *= gain / norm;
        }
        var q = new double[rows * cols];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < k; c++)
                q[wide ? c * cols + r : r * cols + c] = a[r * k + c];
        return new Tensor(NDArray.From<double>(q, Shape.Of(rows, cols)).Cast(dtype));
    }

    /// <summary>A copy of an LSTM bias [4H] (gate blocks i, f, g, o) whose forget-gate block f (elements H..2H−1) is
    /// set to <paramref name="value"/>; a positive value (often 1) makes the cell remember by default early in training.</summary>
    public static Tensor ForgetGateBias(Tensor bias, double value)
    {
        if (bias.Rank != 1 || bias.Shape[0] % 4 != 0)
            throw new ShapeMismatchException($"ForgetGateBias: expected an LSTM bias of shape [4*H], got {bias.Shape}.");
        int h = bias.Shape[0] / 4;
        var b = bias.ToDoubleArray();
        Array.Fill(b, value, h, h);
        return new Tensor(NDArray.From<double>(b, bias.Shape).Cast(bias.DType));
    }

    private static (int FanIn, int FanOut) Fans(Shape shape, string op)
    {
        if (shape.Rank < 2 || shape.Size == 0)
            throw new ShapeMismatchException($"{op}: expected a non-empty weight shape [out, in, ...], got {shape}.");
        int receptive = shape.Size / (shape[0] * shape[1]);
        return (shape[1] * receptive, shape[0] * receptive);
    }
}
