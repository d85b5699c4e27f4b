using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Autograd.Testing;

/// <summary>
/// The result of checking one input (one leaf of the parameter tree) or, named <c>(all inputs)</c>, the probes
/// over every input at once. Errors compare the analytic value a (from the VJP) with the numerical value n (from
/// central differences); the relative error is CS231n's |a − n| / max(1e-8, |a| + |n|).
/// </summary>
/// <param name="Path">The input's path in the parameter tree (<c>W</c>, <c>Layers[0].Bias</c>), <c>(input)</c> for a lone tensor.</param>
/// <param name="Shape">The input's shape.</param>
/// <param name="Mode">How it was probed: <see cref="GradCheckMode.Elementwise"/> or <see cref="GradCheckMode.RandomDirection"/>.</param>
/// <param name="Checks">How many values were compared (elements or probes).</param>
/// <param name="MaxAbsError">The largest |a − n|.</param>
/// <param name="MaxRelativeError">The largest |a − n| / max(1e-8, |a| + |n|).</param>
/// <param name="WorstAt">Where the tolerance was most exceeded (or most nearly): a multi-index such as <c>[1, 2]</c>, or <c>probe 3</c>.</param>
/// <param name="WorstAnalytic">a at <paramref name="WorstAt"/>.</param>
/// <param name="WorstNumerical">n at <paramref name="WorstAt"/>.</param>
/// <param name="Passed">True when every compared value is within tolerance (NaN never is).</param>
public sealed record GradCheckEntry(
    string Path, Shape Shape, GradCheckMode Mode, int Checks, double MaxAbsError, double MaxRelativeError,
    string WorstAt, double WorstAnalytic, double WorstNumerical, bool Passed);

/// <summary>What <see cref="GradCheck.Check{P}"/> found: one <see cref="GradCheckEntry"/> per input; <see cref="ToString"/> prints a table.</summary>
public sealed class GradCheckReport
{
    internal GradCheckReport(ImmutableArray<GradCheckEntry> entries, GradCheckOptions options, Shape outputShape)
    {
        Entries = entries;
        Options = options;
        OutputShape = outputShape;
    }

    /// <summary>One entry per input tensor, in <see cref="Tree.Flatten"/> order, plus <c>(all inputs)</c> for joint probes.</summary>
    public ImmutableArray<GradCheckEntry> Entries { get; }

    /// <summary>The settings the check ran with.</summary>
    public GradCheckOptions Options { get; }

    /// <summary>The shape of f's output (the cotangent v has this shape).</summary>
    public Shape OutputShape { get; }

    /// <summary>True when every entry passed.</summary>
    public bool Passed => Entries.All(e => e.Passed);

    /// <summary>The entries that failed.</summary>
    public IEnumerable<GradCheckEntry> Failures => Entries.Where(e => !e.Passed);

    /// <summary>The entry for the input at <paramref name="path"/>.</summary>
    public GradCheckEntry this[string path] => Entries.FirstOrDefault(e => e.Path == path)
        ?? throw new KeyNotFoundException($"GradCheckReport: no input '{path}'; inputs are {string.Join(", ", Entries.Select(e => e.Path))}.");

    /// <inheritdoc/>
    public override string ToString()
    {
        var o = Options;
        var sb = new StringBuilder();
        sb.Append(Passed ? "GradCheck passed" : "GradCheck FAILED")
          .Append(Inv($": output {OutputShape}, eps={o.Eps:G3}, atol={o.AbsoluteTolerance:G3}, rtol={o.RelativeTolerance:G3}, seed={o.Seed}\n"));
        string[] head = ["input", "shape", "mode", "checks", "max |a-n|", "max rel", "worst at", "analytic", "numerical", "result"];
        var rows = Entries.Select(e => new[]
        {
            e.Path, e.Shape.ToString(), e.Mode == GradCheckMode.Elementwise ? "elementwise" : "random", Inv($"{e.Checks}"),
            Inv($"{e.MaxAbsError:G3}"), Inv($"{e.MaxRelativeError:G3}"), e.WorstAt, Inv($"{e.WorstAnalytic:G6}"), Inv($"{e.WorstNumerical:G6}"),
            e.Passed ? "ok" : "FAIL",
        }).ToList();
        var widths = head.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        void Line(string[] cells) => sb.Append("  ").Append(string.Join("  ", cells.Select((s, c) => s.PadRight(widths[c])))).Append('\n');
        Line(head);
        foreach (var r in rows) Line(r);
        return sb.ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Thrown by <see cref="GradCheck.Assert{P}"/> when a gradient does not match; the message is the report table.</summary>
public sealed class GradCheckException(GradCheckReport report) : Exception(report.ToString())
{
    /// <summary>The failed report.</summary>
    public GradCheckReport Report { get; } = report;
}
