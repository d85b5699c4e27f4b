using System.Globalization;
using System.Xml.Linq;

namespace Autograd.IO;

/// <summary>Loss curves as a self-contained SVG: axes with 1-2-5 ticks and labels, one polyline per series, a legend.</summary>
public static class LossPlot
{
    private const double Width = 760, Height = 440, Left = 72, Right = 170, Top = 44, Bottom = 56;
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Writes <see cref="ToSvg"/>'s document to <paramref name="path"/> atomically (temp file, flush, move).</summary>
    public static void WriteSvg(string path, IReadOnlyList<(string Name, IReadOnlyList<(double Step, double Loss)> Points)> series, string title)
    {
        var text = ToSvg(series, title);
        AtomicFile.Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });
    }

    /// <summary>
    /// The SVG text of the curves (e.g. "train" and "validation" loss against the step). Points with a non-finite
    /// coordinate are left out; both axes span the finite points of all series.
    /// </summary>
    public static string ToSvg(IReadOnlyList<(string Name, IReadOnlyList<(double Step, double Loss)> Points)> series, string title)
    {
        var finite = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Step) && double.IsFinite(p.Loss)).ToList();
        var (x0, x1) = Range(finite.Select(p => p.Step));
        var (y0, y1) = Range(finite.Select(p => p.Loss));
        var (xt, yt) = (Ticks(x0, x1), Ticks(y0, y1));
        (x0, x1, y0, y1) = (Math.Min(x0, xt[0]), Math.Max(x1, xt[^1]), Math.Min(y0, yt[0]), Math.Max(y1, yt[^1]));
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(double v) => Left + (v - x0) / (x1 - x0) * plotW;
        double Y(double v) => Top + (y1 - v) / (y1 - y0) * plotH;

        var root = new XElement(Svg + "svg", new XAttribute("width", Width), new XAttribute("height", Height),
            new XAttribute("viewBox", $"0 0 {F(Width)} {F(Height)}"), new XAttribute("font-family", "sans-serif"), new XAttribute("font-size", 12),
            new XElement(Svg + "rect", new XAttribute("width", Width), new XAttribute("height", Height), new XAttribute("fill", "white")),
            Text(Width / 2, 24, title, "middle", 16));
        foreach (var v in xt)
        {
            root.Add(Line(X(v), Top, X(v), Top + plotH, "#e5e5e5"), Line(X(v), Top + plotH, X(v), Top + plotH + 5, "black"));
            root.Add(Text(X(v), Top + plotH + 19, Label(v), "middle"));
        }
        foreach (var v in yt)
        {
            root.Add(Line(Left, Y(v), Left + plotW, Y(v), "#e5e5e5"), Line(Left - 5, Y(v), Left, Y(v), "black"));
            root.Add(Text(Left - 8, Y(v) + 4, Label(v), "end"));
        }
        root.Add(new XElement(Svg + "rect", new XAttribute("class", "axes"), new XAttribute("x", F(Left)), new XAttribute("y", F(Top)),
            new XAttribute("width", F(plotW)), new XAttribute("height", F(plotH)), new XAttribute("fill", "none"), new XAttribute("stroke", "black")));
        root.Add(Text(Left + plotW / 2, Height - 14, "step", "middle", 13));
        var yLabel = Text(18, Top + plotH / 2, "loss", "middle", 13);
        yLabel.Add(new XAttribute("transform", $"rotate(-90 18 {F(Top + plotH / 2)})"));
        root.Add(yLabel);

        for (int i = 0; i < series.Count; i++)
        {
            var color = Colors[i % Colors.Length];
            var pts = series[i].Points.Where(p => double.IsFinite(p.Step) && double.IsFinite(p.Loss)).OrderBy(p => p.Step)
                .Select(p => $"{F(X(p.Step))},{F(Y(p.Loss))}").ToList();
            if (pts.Count > 0)
                root.Add(new XElement(Svg + "polyline", new XAttribute("class", "series"), new XAttribute("data-name", series[i].Name),
                    new XAttribute("points", string.Join(" ", pts)), new XAttribute("fill", "none"), new XAttribute("stroke", color),
                    new XAttribute("stroke-width", 1.8)));
            double ly = Top + 14 + 20 * i, lx = Left + plotW + 16;
            root.Add(Line(lx, ly - 4, lx + 24, ly - 4, color, 3), Text(lx + 30, ly, series[i].Name, "start"));
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root.ToString() + "\n";
    }

    private static (double, double) Range(IEnumerable<double> values)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in values) (lo, hi) = (Math.Min(lo, v), Math.Max(hi, v));
        if (lo > hi) return (0, 1);
        if (lo == hi) { double d = lo == 0 ? 1 : Math.Abs(lo) * 0.1; return (lo - d, hi + d); }
        return (lo, hi);
    }

    // Round ticks (1, 2 or 5 × 10^k apart) covering [lo, hi], about five of them.
    internal static double[] Ticks(double lo, double hi)
    {
        double raw = (hi - lo) / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw))), f = raw / mag;
        double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
        double first = Math.Floor(lo / step) * step, last = Math.Ceiling(hi / step) * step;
        int n = (int)Math.Round((last - first) / step);
        return [.. Enumerable.Range(0, n + 1).Select(i => Math.Round(first + i * step, 12))];
    }

    private static XElement Line(double x1, double y1, double x2, double y2, string stroke, double width = 1) =>
        new(Svg + "line", new XAttribute("x1", F(x1)), new XAttribute("y1", F(y1)), new XAttribute("x2", F(x2)), new XAttribute("y2", F(y2)),
            new XAttribute("stroke", stroke), new XAttribute("stroke-width", width));

    private static XElement Text(double x, double y, string text, string anchor, double size = 12) =>
        new(Svg + "text", new XAttribute("x", F(x)), new XAttribute("y", F(y)), new XAttribute("text-anchor", anchor),
            new XAttribute("font-size", size), text);

    private static string Label(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
