using Autograd.Conformance;

namespace Autograd.Tests.Golden;

/// <summary>Every <c>op:*</c> golden case (PyTorch float64 reference values) must pass, each as its own test.</summary>
public sealed class GoldenConformanceTests
{
    private const string Missing = "(golden directory missing)";

    /// <summary>One row per op case file; a single sentinel row when the directory is missing, so the theory fails
    /// with a clear message instead of having no data.</summary>
    public static TheoryData<string> OpCaseFiles()
    {
        var data = new TheoryData<string>();
        if (GoldenDirectory.Problem is not null) { data.Add(Missing); return data; }
        foreach (var e in Runner.Discover(GoldenDirectory.Path).Entries.Where(e => IsOp(KindOf(e))))
            data.Add(e.File);
        if (data.Count == 0) data.Add(Missing);
        return data;
    }

    [Theory]
    [MemberData(nameof(OpCaseFiles))]
    public void OpCasePasses(string file)
    {
        Assert.True(file != Missing, GoldenDirectory.Problem ?? $"no op cases in '{GoldenDirectory.Path}'");
        var tolerance = Runner.Discover(GoldenDirectory.Path).Tolerance;
        var result = Runner.RunCase(System.IO.Path.Combine(GoldenDirectory.Path, file), null, tolerance);
        Assert.True(result.Outcome == Outcome.Passed, string.Join(Environment.NewLine, result.Describe()));
    }

    [Fact]
    public void EveryOpCaseIsSupported()
    {
        Assert.True(GoldenDirectory.Problem is null, GoldenDirectory.Problem);
        var summary = Runner.Run(GoldenDirectory.Path, TextWriter.Null);
        var ops = summary.Results.Where(r => IsOp(r.Kind)).ToList();
        Assert.NotEmpty(ops);
        var skipped = ops.Where(r => r.Outcome == Outcome.Skipped).SelectMany(r => r.Describe()).ToList();
        Assert.True(skipped.Count == 0, "op cases skipped:" + Environment.NewLine + string.Join(Environment.NewLine, skipped));
        // Every op kind of the format has a case in the public set, and so an evaluator.
        Assert.Equal(OpCases.All().Keys.Order(StringComparer.Ordinal), ops.Select(r => r.Kind).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OnlyRecurrentKindsAreSkipped()
    {
        Assert.True(GoldenDirectory.Problem is null, GoldenDirectory.Problem);
        var summary = Runner.Run(GoldenDirectory.Path, TextWriter.Null);
        Assert.Equal(0, summary.Total.Failed);
        Assert.All(summary.Skips, s => Assert.Contains("recurrent", s.Reason));
    }

    private static bool IsOp(string? kind) => kind is not null && kind.StartsWith("op:", StringComparison.Ordinal);

    // index.json names the kind; without an index the file itself does.
    private static string? KindOf(CaseEntry e)
    {
        if (e.Kind is not null) return e.Kind;
        try
        {
            return GoldenCase.Load(System.IO.Path.Combine(GoldenDirectory.Path, e.File), Tolerance.Default).Kind;
        }
        catch (Exception)
        {
            // An unreadable file still gets a row, where it fails with the reader's message.
            return "op:(unreadable)";
        }
    }
}
