namespace Autograd.Nn;

/// <summary>The four parameter tensors every PyTorch recurrent cell has, shared by the cells: creation, naming, checks.</summary>
internal static class CellParameters
{
    public static (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) Create(
        int gates, int inputSize, int hiddenSize, Random rng, DType dtype, bool bias, string cell)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"{cell}.Create: inputSize and hiddenSize must be positive, got {inputSize} and {hiddenSize}.");
        // PyTorch draws in named_parameters() order, each U(−1/√H, 1/√H).
        var wih = Initializers.PyTorchRecurrent(Shape.Of(gates * hiddenSize, inputSize), hiddenSize, rng, dtype);
        var whh = Initializers.PyTorchRecurrent(Shape.Of(gates * hiddenSize, hiddenSize), hiddenSize, rng, dtype);
        if (!bias) return (wih, whh, null, null);
        var bih = Initializers.PyTorchRecurrent(Shape.Of(gates * hiddenSize), hiddenSize, rng, dtype);
        var bhh = Initializers.PyTorchRecurrent(Shape.Of(gates * hiddenSize), hiddenSize, rng, dtype);
        return (wih, whh, bih, bhh);
    }

    public static (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) FromNamed(
        IReadOnlyDictionary<string, Tensor> p, string suffix, int gates, string cell)
    {
        Tensor Get(string name) => p.TryGetValue(name + suffix, out var t) ? t
            : throw new KeyNotFoundException($"{cell}: no parameter named '{name + suffix}'; given: {string.Join(", ", p.Keys)}.");
        var wih = Get("weight_ih");
        var whh = Get("weight_hh");
        bool bias = p.ContainsKey("bias_ih" + suffix) || p.ContainsKey("bias_hh" + suffix);
        var bih = bias ? Get("bias_ih") : null;
        var bhh = bias ? Get("bias_hh") : null;
        Validate(gates, wih, whh, bih, bhh, cell);
        return (wih, whh, bih, bhh);
    }

    public static void Validate(int gates, Tensor wih, Tensor whh, Tensor? bih, Tensor? bhh, string cell)
    {
        if (whh.Rank != 2 || whh.Shape[0] != gates * whh.Shape[1])
            throw new ShapeMismatchException($"{cell}: weight_hh has shape {whh.Shape}, expected [{gates}*H, H].");
        int h = whh.Shape[1];
        if (wih.Rank != 2 || wih.Shape[0] != gates * h)
            throw new ShapeMismatchException($"{cell}: weight_ih has shape {wih.Shape}, expected [{gates * h}, D] ({gates}*H rows for H = {h}).");
        foreach (var (name, b) in new[] { ("bias_ih", bih), ("bias_hh", bhh) })
            if (b is not null && (b.Rank != 1 || b.Shape[0] != gates * h))
                throw new ShapeMismatchException($"{cell}: {name} has shape {b.Shape}, expected [{gates * h}].");
        if ((bih is null) != (bhh is null))
            throw new ArgumentException($"{cell}: bias_ih and bias_hh must both be present or both be absent.");
    }

    public static IReadOnlyList<(string Name, Tensor Value)> Named(Tensor wih, Tensor whh, Tensor? bih, Tensor? bhh, string suffix = "")
    {
        var list = new List<(string, Tensor)> { ("weight_ih" + suffix, wih), ("weight_hh" + suffix, whh) };
        if (bih is not null) list.Add(("bias_ih" + suffix, bih));
        if (bhh is not null) list.Add(("bias_hh" + suffix, bhh));
        return list;
    }

    /// <summary>Checks x's feature axis before the input projection, so a wrong D names the cell rather than Linear.</summary>
    public static void CheckInput(Tensor x, int inputSize, string cell)
    {
        if (x.Rank < 1 || x.Shape[-1] != inputSize)
            throw new ShapeMismatchException($"{cell}: the input x has shape {x.Shape}, expected [B, {inputSize}] (D = {inputSize} features on the last axis).");
    }

    /// <summary>Checks one step's x [B, D] against the hidden state h [B, H]: D, and one rank and one B for both.</summary>
    public static void CheckStepInput(Tensor h, Tensor x, int inputSize, int hiddenSize, string cell)
    {
        CheckInput(x, inputSize, cell);
        if (x.Rank != h.Rank || (x.Rank == 2 && x.Shape[0] != h.Shape[0]))
            throw new ShapeMismatchException($"{cell}: the input x has shape {x.Shape} and the hidden state {h.Shape}; expected [B, {inputSize}] and [B, {hiddenSize}] with one B (one step, not a sequence: scan a sequence [T, B, D] with Scan or a layer).");
    }

    /// <summary>Checks the carry row count and width against x before a step, so a mismatch names the cell.</summary>
    public static void CheckStep(Tensor h, Tensor xProjected, int gates, int hiddenSize, string cell)
    {
        if (h.Rank < 1 || h.Shape[-1] != hiddenSize)
            throw new ShapeMismatchException($"{cell}: the hidden state has shape {h.Shape}, expected [B, {hiddenSize}].");
        if (xProjected.Shape[-1] != gates * hiddenSize || xProjected.Rank != h.Rank || (h.Rank == 2 && xProjected.Shape[0] != h.Shape[0]))
            throw new ShapeMismatchException($"{cell}: the projected input has shape {xProjected.Shape} and the hidden state {h.Shape}; expected [B, {gates * hiddenSize}] and [B, {hiddenSize}] with one B.");
    }
}
