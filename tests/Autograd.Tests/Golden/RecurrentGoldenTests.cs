using System.Text.Json;

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
}
