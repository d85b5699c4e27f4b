using System.Text.Json.Nodes;
using Autograd.Conformance;

namespace Autograd.Tests.Golden;

/// <summary>Every golden case (PyTorch float64 reference values: ops, recurrent cells and sequences) must pass, each
/// as its own test, and none may be skipped.</summary>
public sealed class GoldenConformanceTests
{
    private const string Missing = "(golden directory missing)";

    /// <summary>One row per case file; a single sentinel row when the directory is missing, so the theory fails
    /// with a clear message instead of having no data.</summary>
    public static TheoryData<string> CaseFiles()
    {
        var data = new TheoryData<string>();
        if (GoldenDirectory.Problem is not null) { data.Add(Missing); return data; }
        foreach (var e in Runner.Discover(GoldenDirectory.Path).Entries) data.Add(e.File);
        if (data.Count == 0) data.Add(Missing);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseFiles))]
    public void CasePasses(string file)
    {
        Assert.True(file != Missing, GoldenDirectory.Problem ?? $"no cases in '{GoldenDirectory.Path}'");
        var tolerance = Runner.Discover(GoldenDirectory.Path).Tolerance;
        var result = Runner.RunCase(System.IO.Path.Combine(GoldenDirectory.Path, file), null, tolerance);
        Assert.True(result.Outcome == Outcome.Passed, string.Join(Environment.NewLine, result.Describe()));
    }

    [Fact]
    public void EveryCaseIsSupportedAndEveryKindHasAnEvaluator()
    {
        Assert.True(GoldenDirectory.Problem is null, GoldenDirectory.Problem);
        var summary = Runner.Run(GoldenDirectory.Path, TextWriter.Null);
        Assert.NotEmpty(summary.Results);
        var skipped = summary.Results.Where(r => r.Outcome == Outcome.Skipped).SelectMany(r => r.Describe()).ToList();
        Assert.True(skipped.Count == 0, "cases skipped:" + Environment.NewLine + string.Join(Environment.NewLine, skipped));
        Assert.Equal(0, summary.Total.Failed);
        // Every kind of the format has a case in the public set, and so an evaluator.
        Assert.Equal(Evaluators.Default.Keys.Order(StringComparer.Ordinal), summary.Results.Select(r => r.Kind).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Negative_control_a_wrong_lstm_gate_order_is_caught()
    {
        // Swapping the i and f blocks of weight_ih_l0 must break the match: the recurrent check is able to fail.
        Assert.True(GoldenDirectory.Problem is null, GoldenDirectory.Problem);
        var dir = Directory.CreateTempSubdirectory("golden-swap").FullName;
        try
        {
            var doc = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(GoldenDirectory.Path, "lstm-01.json")))!;
            var w = doc["params"]!["weight_ih_l0"]!;
            int rows = w["shape"]![0]!.GetValue<int>(), cols = w["shape"]![1]!.GetValue<int>(), h = rows / 4;
            var data = w["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var swapped = data.ToArray();
            Array.Copy(data, h * cols, swapped, 0, h * cols);       // f block into i's place
            Array.Copy(data, 0, swapped, h * cols, h * cols);       // i block into f's place
            w["data"] = new JsonArray(swapped.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            File.WriteAllText(System.IO.Path.Combine(dir, "lstm-01.json"), doc.ToJsonString());
            var summary = Runner.Run(dir, TextWriter.Null);
            Assert.Equal(1, summary.Total.Failed);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
