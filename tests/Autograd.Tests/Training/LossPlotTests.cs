using System.Xml.Linq;
using Autograd.IO;

namespace Autograd.Tests.Training;

public sealed class LossPlotTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lossplot-tests-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static readonly (string, IReadOnlyList<(double, double)>)[] Curves =
    [
        ("train", [(0, 4.2), (100, 3.0), (200, 2.1), (300, double.NaN), (400, 1.6)]),
        ("validation <val> & co", [(200, 2.3), (400, 1.9)]),
    ];

    [Fact]
    public void Svg_has_title_axes_ticks_labels_legend_and_one_polyline_per_series()
    {
        var path = Path.Combine(_dir.FullName, "loss.svg");
        LossPlot.WriteSvg(path, Curves, "char-rnn loss");
        var doc = XDocument.Load(path);
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("char-rnn loss", texts);
        Assert.Contains("step", texts);
        Assert.Contains("loss", texts);
        Assert.Contains("train", texts);
        Assert.Contains("validation <val> & co", texts);     // escaped in the file, intact when read
        foreach (var tick in new[] { "0", "100", "200", "300", "400", "1.5", "2", "4.5" }) Assert.Contains(tick, texts);
        var lines = doc.Descendants(Svg + "polyline").ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(4, lines[0].Attribute("points")!.Value.Split(' ').Length);   // the NaN point is left out
        Assert.NotEqual(lines[0].Attribute("stroke")!.Value, lines[1].Attribute("stroke")!.Value);
        Assert.Equal(new[] { "loss.svg" }, _dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void Points_map_into_the_axes_box_with_lower_loss_lower_on_the_page()
    {
        var doc = XDocument.Parse(LossPlot.ToSvg(Curves, "t"));
        var box = doc.Descendants(Svg + "rect").Single(r => (string?)r.Attribute("class") == "axes");
        double bx = (double)box.Attribute("x")!, by = (double)box.Attribute("y")!, bw = (double)box.Attribute("width")!, bh = (double)box.Attribute("height")!;
        var pts = doc.Descendants(Svg + "polyline").First().Attribute("points")!.Value.Split(' ')
            .Select(p => p.Split(',').Select(double.Parse).ToArray()).ToArray();
        Assert.All(pts, p => { Assert.InRange(p[0], bx, bx + bw); Assert.InRange(p[1], by, by + bh); });
        Assert.Equal(bx, pts[0][0], 1);                  // step 0 sits on the left edge (the first x tick)
        Assert.True(pts[^1][1] > pts[0][1]);             // loss 1.6 is drawn below loss 4.2 (SVG y grows downwards)
    }

    [Fact]
    public void Ticks_are_round_and_cover_the_range()
    {
        Assert.Equal(new[] { 0.0, 200, 400, 600, 800, 1000, 1200 }, LossPlot.Ticks(3, 1111));
        Assert.Equal(new[] { 1.4, 1.6, 1.8, 2.0, 2.2 }, LossPlot.Ticks(1.45, 2.2));
    }

    [Fact]
    public void Empty_series_still_give_a_valid_document()
    {
        var doc = XDocument.Parse(LossPlot.ToSvg([("train", [])], "nothing yet"));
        Assert.Empty(doc.Descendants(Svg + "polyline"));
        Assert.Contains("train", doc.Descendants(Svg + "text").Select(t => t.Value));
    }
}
