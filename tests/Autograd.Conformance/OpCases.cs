using System.Text.Json;
using static Autograd.Ops;

namespace Autograd.Conformance;

/// <summary>The arguments of an op case: float inputs as traced library tensors, int inputs and attrs as values.</summary>
public sealed class OpArgs(GoldenCase golden, IReadOnlyDictionary<string, Tensor> floats)
{
    /// <summary>A float input (a differentiated leaf).</summary>
    public Tensor this[string name] =>
        floats.TryGetValue(name, out var t) ? t : throw new FormatException($"{golden.Name}: no float64 input '{name}'");

    /// <summary>The float inputs in <c>input_order</c>.</summary>
    public Tensor[] InOrder() => golden.InputOrder.Where(floats.ContainsKey).Select(n => floats[n]).ToArray();

    /// <summary>An int64 input's values as ints.</summary>
    public int[] Ints(string name) => golden.Input(name).Ints();

    /// <summary>An input's shape.</summary>
    public int[] ShapeOf(string name) => golden.Input(name).Shape;

    /// <summary>An int attribute; null when it is absent or JSON null (e.g. <c>axis: null</c> = all axes).</summary>
    public int? OptionalInt(string attr) =>
        golden.Attrs.ValueKind == JsonValueKind.Object && golden.Attrs.TryGetProperty(attr, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.GetInt32()
            : null;

    /// <summary>A required int attribute.</summary>
    public int Int(string attr) => OptionalInt(attr) ?? throw new FormatException($"{golden.Name}: missing attribute '{attr}'");

    /// <summary>A bool attribute (false when absent).</summary>
    public bool Bool(string attr) =>
        golden.Attrs.ValueKind == JsonValueKind.Object && golden.Attrs.TryGetProperty(attr, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary><c>axis</c> as the axes list of a reduction: null (all axes) when the attribute is null.</summary>
    public int[]? Axes() => OptionalInt("axis") is { } a ? [a] : null;
}

/// <summary>
/// Evaluates an <c>op:*</c> case: output = op(inputs), loss = sum(output · R_output), and the gradient of that loss
/// for every float64 input by <see cref="Ad.ValueAndGrad{P, A}"/>, all in float64 with the library's own ops.
/// </summary>
public sealed class OpEvaluator(Func<OpArgs, Tensor> op) : ICaseEvaluator
{
    /// <summary>The <c>requires</c> capabilities of the public op cases, all supported.</summary>
    public static readonly IReadOnlySet<string> Capabilities =
        new HashSet<string> { "broadcast", "scalar_input", "rank3", "keepdim", "all_axes", "strided_slice" };

    /// <inheritdoc/>
    public string? Unsupported(GoldenCase golden) => Evaluators.MissingCapability(golden.Requires, Capabilities, golden.Kind);

    /// <inheritdoc/>
    public Evaluation Evaluate(GoldenCase golden)
    {
        var names = golden.InputOrder.Where(n => golden.Input(n).DType != "int64").ToArray();
        var leaves = names.Select(n => golden.Input(n).ToTensor()).ToArray();
        var r = golden.Weight("output").ToTensor();
        var (loss, output, grads) = Ad.ValueAndGrad((Tensor[] xs) =>
        {
            var args = new OpArgs(golden, names.Zip(xs).ToDictionary(p => p.First, p => p.Second));
            var y = op(args);
            return (Sum(y * r), y);
        }, leaves);
        return new Evaluation(
            new Dictionary<string, GoldenTensor> { ["output"] = GoldenTensor.From(output) },
            loss.Item(),
            names.Zip(grads).ToDictionary(p => p.First, p => GoldenTensor.From(p.Second)));
    }
}

/// <summary>The op table: each <c>op:*</c> kind as one line of library code, following the golden definitions.</summary>
public static class OpCases
{
    /// <summary>Every op kind of the golden format.</summary>
    public static Dictionary<string, ICaseEvaluator> All()
    {
        var ops = new Dictionary<string, Func<OpArgs, Tensor>>
        {
            ["matmul"] = x => MatMul(x["a"], x["b"]),
            ["add"] = x => Add(x["a"], x["b"]),
            ["mul"] = x => Mul(x["a"], x["b"]),
            ["tanh"] = x => Tanh(x["x"]),
            ["sigmoid"] = x => Sigmoid(x["x"]),
            ["relu"] = x => Relu(x["x"]),
            ["exp"] = x => Exp(x["x"]),
            ["log"] = x => Log(x["x"]),
            ["softmax"] = x => Softmax(x["x"], x.Int("axis")),
            ["log_softmax"] = x => LogSoftmax(x["x"], x.Int("axis")),
            ["logsumexp"] = x => LogSumExp(x["x"], x.Int("axis"), x.Bool("keepdim")),
            ["cross_entropy"] = x => CrossEntropy(x["logits"], x.Ints("targets")),
            ["mse"] = x => Mse(x["a"], x["b"]),
            ["sum"] = x => Sum(x["x"], x.Axes(), x.Bool("keepdim")),
            ["mean"] = x => Mean(x["x"], x.Axes(), x.Bool("keepdim")),
            ["transpose"] = x => Transpose(x["x"], x.Int("dim0"), x.Int("dim1")),
            ["concat"] = x => Concat(x.InOrder(), x.Int("axis")),
            ["slice"] = x => Slice(x["x"], x.Int("axis"), x.Int("start"), x.OptionalInt("stop"), x.OptionalInt("step") ?? 1),
            ["embedding"] = x => GatherRows(x["weight"], x.Ints("indices"), x.ShapeOf("indices")),
        };
        return ops.ToDictionary(p => "op:" + p.Key, p => (ICaseEvaluator)new OpEvaluator(p.Value));
    }
}
