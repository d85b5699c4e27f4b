using System.Text.Json;

namespace Autograd.Conformance;

/// <summary>How a case ended.</summary>
public enum Outcome { Passed, Failed, Skipped }

/// <summary>One case's result: why it failed (<see cref="Mismatches"/> or <see cref="Reason"/>) or was skipped.</summary>
public sealed record CaseResult(string File, string Name, string Kind, Outcome Outcome, string? Reason, IReadOnlyList<Mismatch> Mismatches)
{
    /// <summary>The lines the runner prints for this case (none for a pass).</summary>
    public IEnumerable<string> Describe() => Outcome switch
    {
        Outcome.Skipped => [$"skip {Name}: {Reason}"],
        Outcome.Failed when Mismatches.Count == 0 => [$"FAIL {Name} ({File}): {Reason}"],
        Outcome.Failed => Mismatches.Select(m => $"FAIL {Name} ({File}): {m.Tensor} {m.Detail}"),
        _ => [],
    };
}

/// <summary>Passed, failed and skipped counts.</summary>
public sealed record Counts(int Passed, int Failed, int Skipped)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Passed} passed, {Failed} failed, {Skipped} skipped";
}

/// <summary>A whole run: every case result, or the reason the directory could not be run at all.</summary>
public sealed record RunSummary(string Directory, string? Error, IReadOnlyList<CaseResult> Results)
{
    /// <summary>Counts per kind, ordered by kind (ordinal).</summary>
    public IReadOnlyList<(string Kind, Counts Counts)> ByKind =>
        Results.GroupBy(r => r.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, Count(g))).ToList();

    /// <summary>Counts over all cases.</summary>
    public Counts Total => Count(Results);

    /// <summary>1 on any failure or when the directory is missing or has no cases, else 0.</summary>
    public int ExitCode => Error is not null || Total.Failed > 0 ? 1 : 0;

    /// <summary>The failed cases.</summary>
    public IEnumerable<CaseResult> Failures => Results.Where(r => r.Outcome == Outcome.Failed);

    /// <summary>The skipped cases.</summary>
    public IEnumerable<CaseResult> Skips => Results.Where(r => r.Outcome == Outcome.Skipped);

    private static Counts Count(IEnumerable<CaseResult> rs) => new(
        rs.Count(r => r.Outcome == Outcome.Passed), rs.Count(r => r.Outcome == Outcome.Failed), rs.Count(r => r.Outcome == Outcome.Skipped));
}

/// <summary>A case file to run; <see cref="Kind"/> comes from <c>index.json</c> when it lists the file.</summary>
public sealed record CaseEntry(string File, string? Kind);

/// <summary>Runs every case of a golden directory against the library and reports per kind.</summary>
public static class Runner
{
    private const string IndexFile = "index.json";

    /// <summary>Runs the directory, printing failures, skips, one line per kind and the totals to <paramref name="log"/>.</summary>
    public static RunSummary Run(string dir, TextWriter log, IReadOnlyDictionary<string, ICaseEvaluator>? evaluators = null)
    {
        evaluators ??= Evaluators.Default;
        if (!Directory.Exists(dir)) return Abort(dir, $"golden directory '{dir}' does not exist", log);

        var results = new List<CaseResult>();
        var (entries, fallback, indexError) = Discover(dir);
        if (indexError is not null) results.Add(new(IndexFile, IndexFile, "index", Outcome.Failed, indexError, []));
        if (entries.Count == 0) return Abort(dir, $"golden directory '{dir}' contains no case files (*.json besides {IndexFile})", log);

        foreach (var entry in entries)
            results.Add(RunCase(Path.Combine(dir, entry.File), entry.Kind, fallback, evaluators));
        var summary = new RunSummary(dir, null, results);
        foreach (var line in results.SelectMany(r => r.Describe())) log.WriteLine(line);
        foreach (var (kind, counts) in summary.ByKind) log.WriteLine($"{kind}: {counts}");
        log.WriteLine(summary.Total.ToString());
        return summary;
    }

    /// <summary>The case files of a directory, sorted: the <c>*.json</c> files besides <c>index.json</c>, together with every
    /// file <c>index.json</c> lists (one listed but absent fails when run). Also the index's tolerance, and why the
    /// index could not be read, if it could not.</summary>
    public static (IReadOnlyList<CaseEntry> Entries, Tolerance Tolerance, string? IndexError) Discover(string dir)
    {
        var kinds = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(dir, "*.json"))
        {
            var file = Path.GetFileName(path);
            if (!file.Equals(IndexFile, StringComparison.OrdinalIgnoreCase)) kinds[file] = null;
        }
        var tolerance = Tolerance.Default;
        string? error = null;
        var indexPath = Path.Combine(dir, IndexFile);
        if (File.Exists(indexPath))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
                tolerance = Tolerance.Read(doc.RootElement, Tolerance.Default);
                if (doc.RootElement.TryGetProperty("cases", out var cases))
                    foreach (var c in cases.EnumerateArray())
                        if (c.TryGetProperty("file", out var f) && f.GetString() is { Length: > 0 } file)
                            kinds[file] = c.TryGetProperty("kind", out var k) ? k.GetString() : null;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                error = $"{IndexFile} is unreadable: {e.Message}";
            }
        }
        var entries = kinds.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new CaseEntry(p.Key, p.Value)).ToList();
        return (entries, tolerance, error);
    }

    /// <summary>Runs one case file. <paramref name="indexKind"/> names the kind if the file cannot be read.</summary>
    public static CaseResult RunCase(string path, string? indexKind, Tolerance fallback, IReadOnlyDictionary<string, ICaseEvaluator>? evaluators = null)
    {
        evaluators ??= Evaluators.Default;
        var file = Path.GetFileName(path);
        var stem = Path.GetFileNameWithoutExtension(file);
        if (!File.Exists(path))
            return new(file, stem, indexKind ?? "(unknown)", Outcome.Failed, $"listed in {IndexFile} but missing", []);
        GoldenCase golden;
        try
        {
            golden = GoldenCase.Load(path, fallback);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return new(file, stem, indexKind ?? "(unreadable)", Outcome.Failed, $"cannot read the case: {e.Message}", []);
        }

        if (!evaluators.TryGetValue(golden.Kind, out var evaluator))
            return new(file, golden.Name, golden.Kind, Outcome.Skipped, Evaluators.NotSupported(golden.Kind), []);
        if (evaluator.Unsupported(golden) is { } reason)
            return new(file, golden.Name, golden.Kind, Outcome.Skipped, reason, []);
        try
        {
            var mismatches = Compare.Case(golden, evaluator.Evaluate(golden));
            return new(file, golden.Name, golden.Kind, mismatches.Count == 0 ? Outcome.Passed : Outcome.Failed, null, mismatches);
        }
        catch (Exception e)
        {
            // A library exception (shape error, bad index) is a failure of this case, not of the run.
            return new(file, golden.Name, golden.Kind, Outcome.Failed, $"threw {e.GetType().Name}: {e.Message}", []);
        }
    }

    private static RunSummary Abort(string dir, string error, TextWriter log)
    {
        log.WriteLine($"error: {error}");
        return new RunSummary(dir, error, []);
    }
}
