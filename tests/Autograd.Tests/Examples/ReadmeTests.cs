using System.Text.RegularExpressions;

namespace Autograd.Tests.Examples;

/// <summary>The README's code blocks are the example's tagged regions, verbatim: they cannot drift apart.</summary>
public class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));

    public static TheoryData<string, string> Blocks()
    {
        var data = new TheoryData<string, string>();
        foreach (Match m in Regex.Matches(Readme, @"<!-- region: (?<name>[\w-]+)(?: in (?<file>[\w./-]+))? -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline))
            data.Add(m.Groups["name"].Value, m.Groups["file"].Success ? m.Groups["file"].Value : "examples/Tour/Program.cs");
        return data;
    }

    [Fact]
    public void Readme_quotes_at_least_the_tour_regions() => Assert.True(Blocks().Count >= 4, $"found {Blocks().Count} quoted regions");

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Readme_block_equals_the_example_region(string region, string file)
    {
        var quoted = Regex.Match(Readme, $@"<!-- region: {Regex.Escape(region)}(?: in [\w./-]+)? -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline).Groups["code"].Value;
        var source = File.ReadAllText(Path.Combine(RepoPaths.Root, file));
        var m = Regex.Match(source, $@"#region {Regex.Escape(region)}\s*\n(?<code>.*?)\n\s*#endregion", RegexOptions.Singleline);
        Assert.True(m.Success, $"region {region} not found in {file}");
        Assert.Equal(Dedent(m.Groups["code"].Value), Dedent(quoted));
    }

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r", "").TrimEnd('\n').Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }
}
