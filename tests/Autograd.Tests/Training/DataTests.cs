using System.Text;
using Autograd.Data;

namespace Autograd.Tests.Training;

public class DataTests
{
    [Fact]
    public void Vocabulary_is_sorted_distinct_code_points_and_round_trips()
    {
        var v = Vocabulary.FromText("hello, world\n");
        Assert.Equal("\n ,dehlorw", string.Concat(v.Symbols.Select(r => r.ToString())));
        Assert.Equal(10, v.Size);
        var ids = v.Encode("world, hello");
        Assert.Equal(new[] { 9, 7, 8, 6, 3, 2, 1, 5, 4, 6, 6, 7 }, ids);
        Assert.Equal("world, hello", v.Decode(ids));
        Assert.Equal(v.Symbols.ToArray(), Vocabulary.FromJson(v.ToJson()).Symbols.ToArray());
    }

    [Fact]
    public void Vocabulary_orders_by_code_point_beyond_the_BMP_like_Python()
    {
        // U+1F600 is a surrogate pair in UTF-16 (0xD83D...) but sorts after U+FB01 by code point, as Python sorts.
        var v = Vocabulary.FromText("\U0001F600a\uFB01");
        Assert.Equal(new[] { 'a', 0xFB01, 0x1F600 }, v.Symbols.Select(r => r.Value));
        Assert.Equal("\U0001F600\uFB01a", v.Decode(v.Encode("\U0001F600\uFB01a")));
    }

    [Fact]
    public void Unknown_characters_and_indices_are_named()
    {
        var v = Vocabulary.FromText("ab");
        Assert.Contains("'c'", Assert.Throws<ArgumentException>(() => v.Encode("abc")).Message);
        Assert.Contains("index 2", Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode([0, 2])).Message);
        Assert.Throws<InvalidDataException>(() => Vocabulary.FromJson("[\"ab\"]"));
        Assert.Throws<ArgumentException>(() => new Vocabulary([new Rune('a'), new Rune('a')]));
    }

    [Fact]
    public void Split_is_the_first_ninety_percent()
    {
        var (train, val) = DataSplit.TrainValidation(Enumerable.Range(0, 25).ToArray());
        Assert.Equal(22, train.Length);          // int(0.9 * 25) = 22
        Assert.Equal(Enumerable.Range(22, 3), val);
    }

    [Fact]
    public void Streams_are_contiguous_columns_and_drop_the_tail()
    {
        // 23 tokens, B = 2: n = 11; stream 0 = 0..10, stream 1 = 11..21, token 22 dropped.
        var s = new TokenStreams(Enumerable.Range(0, 23).ToArray(), 2);
        Assert.Equal(11, s.Length);
        Assert.Equal(0, s[0, 0]);
        Assert.Equal(11, s[0, 1]);
        Assert.Equal(21, s[10, 1]);
        Assert.Equal(new[] { 2, 13, 3, 14 }, s.Rows(2, 2));
    }

    [Fact]
    public void Training_windows_reproduce_the_script_loop()
    {
        // Script with n = 11, seq = 3: pos 0 → x rows 0..2; pos 3 → rows 3..5; pos 6 → rows 6..8 (6+3+1 = 10 ≤ 11);
        // pos 9: 9+3+1 = 13 > 11 → wrap to 0 and reset the state.
        var s = new TokenStreams(Enumerable.Range(0, 23).ToArray(), 2);
        var w = s.TrainingWindows(3).Take(5).ToArray();
        Assert.Equal(new[] { 0, 3, 6, 0, 3 }, w.Select(x => x.Position));
        Assert.Equal(new[] { true, false, false, true, false }, w.Select(x => x.Reset));
        Assert.Equal(new[] { 0, 11, 1, 12, 2, 13 }, w[0].Inputs);
        Assert.Equal(new[] { 1, 12, 2, 13, 3, 14 }, w[0].Targets);
        Assert.Equal(new[] { 6, 17, 7, 18, 8, 19 }, w[2].Inputs);
        Assert.Equal(new[] { 7, 18, 8, 19, 9, 20 }, w[2].Targets);
        Assert.Equal(w[0].Inputs, w[3].Inputs);
        Assert.Equal(new[] { 3, 2 }, w[0].Shape);
        // The pure form gives the same windows and the next position.
        var (w1, next) = s.TrainingWindow(6, 3);
        Assert.Equal((6, 9), (w1.Position, next));
        Assert.Equal((0, 3), (s.TrainingWindow(9, 3).Window.Position, s.TrainingWindow(9, 3).NextPosition));
        // A window at exactly the edge still fits: 7 + 3 + 1 = 11.
        Assert.Equal(7, s.TrainingWindow(7, 3).Window.Position);
    }

    [Fact]
    public void Evaluation_windows_follow_the_script_range()
    {
        var s = new TokenStreams(Enumerable.Range(0, 23).ToArray(), 2);
        // range(0, 11 - 1 - 3, 3) = 0, 3, 6
        var w = s.EvaluationWindows(3).ToArray();
        Assert.Equal(new[] { 0, 3, 6 }, w.Select(x => x.Position));
        Assert.Equal(new[] { true, false, false }, w.Select(x => x.Reset));
        Assert.Equal(new[] { 7, 18, 8, 19, 9, 20 }, w[2].Targets);
        // range(0, 11 - 1 - 5, 5) = 0 only: the script never evaluates a window that would end on the last row.
        Assert.Single(s.EvaluationWindows(5));
        // Evaluate carries the state and weights each window by its token count.
        int calls = 0;
        double mean = s.Evaluate(3, 0, (st, win) => { Assert.Equal(calls++, st); return (st + 1, win.Position); });
        Assert.Equal((0 + 3 + 6) / 3.0, mean, 12);
    }

    [Fact]
    public void Streams_too_short_for_a_window_are_an_error()
    {
        var s = new TokenStreams(Enumerable.Range(0, 8).ToArray(), 2);   // n = 4
        var ex = Assert.Throws<ArgumentException>(() => s.TrainingWindow(0, 4));
        Assert.Contains("at least 5 steps", ex.Message);
        Assert.Contains("they have 4", ex.Message);
        Assert.Equal(0, s.TrainingWindow(0, 3).Window.Position);
        Assert.Empty(s.EvaluationWindows(3));
    }
}
