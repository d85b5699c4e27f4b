using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Autograd.Data;

/// <summary>
/// A character vocabulary: the distinct characters (Unicode scalar values) of a text in code-point order, exactly
/// Python's <c>vocab = sorted(set(text))</c>, so index i means the same character here and in a PyTorch script.
/// Immutable.
/// </summary>
public sealed class Vocabulary
{
    private readonly FrozenDictionary<Rune, int> _index;

    /// <summary>A vocabulary of the given symbols, in the given order (e.g. read back from a checkpoint); they must be distinct.</summary>
    public Vocabulary(IEnumerable<Rune> symbols)
    {
        Symbols = [.. symbols];
        var index = new Dictionary<Rune, int>();
        for (int i = 0; i < Symbols.Length; i++)
            if (!index.TryAdd(Symbols[i], i))
                throw new ArgumentException($"Vocabulary: symbol U+{Symbols[i].Value:X4} appears twice (at {index[Symbols[i]]} and {i}).");
        _index = index.ToFrozenDictionary();
    }

    /// <summary>The sorted distinct characters of <paramref name="text"/>.</summary>
    public static Vocabulary FromText(string text) =>
        new(text.EnumerateRunes().Distinct().OrderBy(r => r.Value));

    /// <summary>The symbols; index i encodes <c>Symbols[i]</c>.</summary>
    public ImmutableArray<Rune> Symbols { get; }

    /// <summary>Number of symbols (V).</summary>
    public int Size => Symbols.Length;

    /// <summary>The index of each character of <paramref name="text"/>; a character outside the vocabulary is an error naming it.</summary>
    public int[] Encode(string text)
    {
        var result = new List<int>(text.Length);
        int at = 0;
        foreach (var r in text.EnumerateRunes())
        {
            if (!_index.TryGetValue(r, out int i))
                throw new ArgumentException($"Vocabulary.Encode: character '{r}' (U+{r.Value:X4}) at position {at} is not in the vocabulary of {Size} symbols.");
            result.Add(i);
            at += r.Utf16SequenceLength;
        }
        return [.. result];
    }

    /// <summary>The text of a sequence of indices.</summary>
    public string Decode(IEnumerable<int> indices)
    {
        var sb = new StringBuilder();
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)Size)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Vocabulary.Decode: index {i} is out of range for {Size} symbols.");
            sb.Append(Symbols[i].ToString());
        }
        return sb.ToString();
    }

    /// <summary>The symbols as a JSON array of one-character strings (for a checkpoint's metadata).</summary>
    public string ToJson() => JsonSerializer.Serialize(Symbols.Select(r => r.ToString()));

    /// <summary>A vocabulary from <see cref="ToJson"/>'s output; each entry must be exactly one character.</summary>
    public static Vocabulary FromJson(string json)
    {
        string[] items;
        try { items = JsonSerializer.Deserialize<string[]>(json) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new InvalidDataException($"Vocabulary.FromJson: not a JSON array of strings: {e.Message}", e); }
        return new Vocabulary(items.Select((s, i) => s.EnumerateRunes().ToArray() is [var r] ? r
            : throw new InvalidDataException($"Vocabulary.FromJson: entry {i} (\"{s}\") is not exactly one character.")));
    }
}
