using System.Text.Json;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Tests.Golden;

/// <summary>PyTorch reference vectors for the RNN/LSTM/GRU layers and cells (float64), see the golden README.</summary>
public class RecurrentGoldenTests
{
    private static readonly string GoldenDir = Path.Combine(RepoPaths.Root, "..", "shared", "golden");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "index.json")));
        foreach (var c in index.RootElement.GetProperty("cases").EnumerateArray())
            if (RecurrentCases.Kinds.Contains(c.GetProperty("kind").GetString()!)) data.Add(c.GetProperty("file").GetString()!);
        return data;
    }

    [Fact]
    public void Every_public_sequence_and_cell_case_is_listed()
    {
        // 4 kinds × 6 sequence cases + 4 kinds × 2 cell cases in the public set.
        Assert.Equal(32, Cases().Count);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, file)));
        var expected = RecurrentCases.Expected(doc.RootElement);
        var actual = RecurrentCases.Evaluate(doc.RootElement);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        var failures = new List<string>();
        foreach (var (key, e) in expected)
        {
            var a = actual[key];
            if (a.Length != e.Length) { failures.Add($"{key}: {a.Length} values, expected {e.Length}"); continue; }
            for (int i = 0; i < e.Length; i++)
                if (!(Math.Abs(a[i] - e[i]) <= 1e-9 + 1e-7 * Math.Abs(e[i])))
                {
                    failures.Add($"{key}[{i}]: {a[i]:R}, expected {e[i]:R}");
                    break;
                }
        }
        Assert.True(failures.Count == 0, $"{file}: {string.Join("; ", failures)}");
    }

    [Fact]
    public void Negative_control_a_wrong_gate_order_is_caught()
    {
        // Swapping the i and f blocks of weight_ih must break the match: the check is able to fail.
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "lstm-01.json")));
        var root = doc.RootElement;
        var p = root.GetProperty("params").EnumerateObject().ToDictionary(e => e.Name, e => RecurrentCases.ReadTensor(e.Value));
        var w = p["weight_ih_l0"];
        int h = w.Shape[0] / 4;
        p["weight_ih_l0"] = Concat([Slice(w, 0, h, 2 * h), Slice(w, 0, 0, h), Slice(w, 0, 2 * h)]);
        var x = RecurrentCases.ReadTensor(root.GetProperty("inputs").GetProperty("x"));
        var inputs = root.GetProperty("inputs");
        Tensor? State(string n) => inputs.TryGetProperty(n, out var t) ? RecurrentCases.ReadTensor(t) : null;
        var output = Lstm.FromNamedParameters(p).Forward(x, State("h0"), State("c0")).Output.ToDoubleArray();
        var expected = RecurrentCases.Expected(root)["outputs.output"];
        Assert.Contains(Enumerable.Range(0, expected.Length), i => Math.Abs(output[i] - expected[i]) > 1e-9 + 1e-7 * Math.Abs(expected[i]));
    }
}
