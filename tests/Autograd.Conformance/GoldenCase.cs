using System.Text.Json;

namespace Autograd.Conformance;

/// <summary>A tensor as stored in a golden file: shape and row-major data (int64 data is kept as exact doubles
/// for comparison and read as ints with <see cref="Ints"/>).</summary>
public sealed record GoldenTensor(string DType, int[] Shape, double[] Data)
{
    /// <summary>Number of elements implied by the shape.</summary>
    public int Size => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The data as ints (targets, embedding indices); throws if an element is not an exact int.</summary>
    public int[] Ints() => Data.Select(v => v == Math.Floor(v) && v is >= int.MinValue and <= int.MaxValue
        ? (int)v
        : throw new FormatException($"element {v} of an int64 tensor is not an int")).ToArray();

    /// <summary>The library tensor (float64 leaf) with these values.</summary>
    public Tensor ToTensor() => Tensor.FromArray(Data, Shape);

    /// <summary>A golden tensor holding a library tensor's values.</summary>
    public static GoldenTensor From(Tensor t) => new("float64", t.Shape.ToArray(), t.ToDoubleArray());

    /// <summary>Shape as text, e.g. <c>[2, 3]</c>.</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    internal static GoldenTensor Read(JsonElement t, string what)
    {
        var dtype = t.TryGetProperty("dtype", out var d) ? d.GetString() ?? "float64" : "float64";
        var shape = Required(t, "shape", what).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var dataElement = Required(t, "data", what);
        // int64 values are read exactly; float64 values by GetDouble, which rounds correctly (invariant format).
        var data = dtype == "int64"
            ? dataElement.EnumerateArray().Select(e => (double)e.GetInt64()).ToArray()
            : dataElement.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var tensor = new GoldenTensor(dtype, shape, data);
        if (tensor.Size != data.Length)
            throw new FormatException($"{what}: shape {tensor.ShapeText} needs {tensor.Size} elements, data has {data.Length}");
        return tensor;
    }

    internal static JsonElement Required(JsonElement e, string name, string what) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v)
            ? v
            : throw new FormatException($"{what}: missing field '{name}'");
}

/// <summary>Absolute and relative tolerance: |actual − expected| ≤ Atol + Rtol·|expected|.</summary>
public sealed record Tolerance(double Atol, double Rtol)
{
    /// <summary>The golden format's float64 defaults.</summary>
    public static readonly Tolerance Default = new(1e-9, 1e-7);

    /// <summary>The bound for one expected value.</summary>
    public double Bound(double expected) => Atol + Rtol * Math.Abs(expected);

    /// <summary>Reads a <c>tolerance</c> object (<c>atol</c>, <c>rtol</c>); missing fields keep <paramref name="fallback"/>'s.</summary>
    internal static Tolerance Read(JsonElement owner, Tolerance fallback)
    {
        if (!owner.TryGetProperty("tolerance", out var t) || t.ValueKind != JsonValueKind.Object) return fallback;
        double atol = t.TryGetProperty("atol", out var a) ? a.GetDouble() : fallback.Atol;
        double rtol = t.TryGetProperty("rtol", out var r) ? r.GetDouble() : fallback.Rtol;
        return new Tolerance(atol, rtol);
    }
}

/// <summary>One golden case file (format <c>golden-autodiff/1</c>), read eagerly.</summary>
public sealed record GoldenCase(
    string File,
    string Name,
    string Kind,
    string Family,
    IReadOnlyList<string> Requires,
    IReadOnlyDictionary<string, GoldenTensor> Inputs,
    IReadOnlyDictionary<string, GoldenTensor> Params,
    IReadOnlyList<string> InputOrder,
    JsonElement Attrs,
    JsonElement Config,
    IReadOnlyDictionary<string, GoldenTensor> Outputs,
    IReadOnlyDictionary<string, GoldenTensor> LossWeights,
    double LossValue,
    IReadOnlyDictionary<string, GoldenTensor> Grads,
    Tolerance Tolerance)
{
    /// <summary>The format this reader understands.</summary>
    public const string Format = "golden-autodiff/1";

    /// <summary>Reads a case; <paramref name="fallback"/> is the tolerance when the case names none (e.g. the index's).</summary>
    public static GoldenCase Load(string path, Tolerance fallback)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllBytes(path));
        var root = doc.RootElement;
        var file = Path.GetFileName(path);
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{file}: not a JSON object");
        var format = root.TryGetProperty("format", out var f) ? f.GetString() : null;
        if (format != Format) throw new FormatException($"{file}: format is '{format ?? "(none)"}', expected '{Format}'");

        var kind = GoldenTensor.Required(root, "kind", file).GetString() ?? throw new FormatException($"{file}: kind is null");
        var name = root.TryGetProperty("name", out var n) ? n.GetString() ?? file : Path.GetFileNameWithoutExtension(file);
        var loss = GoldenTensor.Required(root, "loss", file);
        var inputs = Tensors(root, "inputs", file);
        var inputOrder = root.TryGetProperty("input_order", out var io)
            ? io.EnumerateArray().Select(e => e.GetString()!).ToArray()
            : inputs.Keys.ToArray();
        return new GoldenCase(
            file, name, kind,
            root.TryGetProperty("family", out var fam) ? fam.GetString() ?? "" : "",
            Strings(root, "requires"),
            inputs,
            Tensors(root, "params", file),
            inputOrder,
            Detached(root, "attrs"),
            Detached(root, "config"),
            Tensors(root, "outputs", file),
            Tensors(loss, "weights", file + " loss"),
            GoldenTensor.Required(loss, "value", file + " loss").GetDouble(),
            Tensors(root, "grads", file),
            Tolerance.Read(root, fallback));
    }

    /// <summary>An input by name, or a format error naming the case.</summary>
    public GoldenTensor Input(string name) =>
        Inputs.TryGetValue(name, out var t) ? t : throw new FormatException($"{Name}: missing input '{name}'");

    /// <summary>The loss weight <c>R_&lt;output&gt;</c> for an output.</summary>
    public GoldenTensor Weight(string output) =>
        LossWeights.TryGetValue("R_" + output, out var t) ? t : throw new FormatException($"{Name}: missing loss weight 'R_{output}'");

    private static Dictionary<string, GoldenTensor> Tensors(JsonElement owner, string field, string what)
    {
        var result = new Dictionary<string, GoldenTensor>(StringComparer.Ordinal);
        if (!owner.TryGetProperty(field, out var obj) || obj.ValueKind == JsonValueKind.Null) return result;
        foreach (var p in obj.EnumerateObject()) result[p.Name] = GoldenTensor.Read(p.Value, $"{what} {field}.{p.Name}");
        return result;
    }

    private static string[] Strings(JsonElement owner, string field) =>
        owner.TryGetProperty(field, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(e => e.GetString()!).ToArray()
            : [];

    // JsonElement outlives its document only as a clone.
    private static JsonElement Detached(JsonElement owner, string field) =>
        owner.TryGetProperty(field, out var v) ? v.Clone() : default;
}
