using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Autograd.IO;

/// <summary>
/// The safetensors format (Hugging Face's, read by PyTorch, JAX and others): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON <c>{"name": {"dtype": "F32"|"F64", "shape": [...], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {string: string}}</c> padded with spaces to a multiple of 8 (as the reference writer does), then the
/// raw little-endian tensor bytes, with offsets relative to the start of that buffer. Loading validates the whole layout
/// and reports any problem as an <see cref="InvalidDataException"/> naming the file, never returning a wrong tensor.
/// </summary>
public static class SafeTensors
{
    /// <summary>The key of the string-to-string metadata object in the header.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Writes <paramref name="tensors"/> (in order, back to back) and <paramref name="metadata"/> to
    /// <paramref name="path"/> atomically: a complete new file replaces the old one, or the old one stays.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = Header(tensors, metadata);   // validates before any file is touched
        AtomicFile.Write(path, s => WriteBody(s, header, tensors));
    }

    /// <summary>Writes the safetensors bytes of <paramref name="tensors"/> and <paramref name="metadata"/> to a stream.</summary>
    public static void Serialize(Stream output, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        WriteBody(output, Header(tensors, metadata), tensors);

    /// <summary>Reads and validates the safetensors file at <paramref name="path"/>.</summary>
    public static TensorFile Read(string path) => Deserialize(File.ReadAllBytes(path), path);

    /// <summary>Validates and decodes safetensors bytes; <paramref name="source"/> names them in errors.</summary>
    public static TensorFile Deserialize(ReadOnlySpan<byte> bytes, string source)
    {
        InvalidDataException Bad(string problem) => new($"{source}: {problem}");
        if (bytes.Length < 8) throw Bad($"truncated: the file has {bytes.Length} bytes, fewer than the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeaderLength) throw Bad($"header length {n} is larger than the {MaxHeaderLength}-byte limit (not a safetensors file?).");
        if ((long)n > bytes.Length - 8) throw Bad($"header length {n} exceeds the {bytes.Length - 8} bytes after the length field (truncated file?).");
        var headerBytes = bytes.Slice(8, (int)n);
        var buffer = bytes[(8 + (int)n)..];

        JsonDocument doc;
        try { doc = JsonDocument.Parse(headerBytes.ToArray()); }
        catch (JsonException e) { throw Bad($"the header is not valid JSON: {e.Message}"); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad($"the header is a JSON {doc.RootElement.ValueKind}, not an object.");

        var metadata = ImmutableDictionary<string, string>.Empty;
        var entries = new List<(string Name, DType DType, int[] Shape, long Begin, long End)>();
        var seen = new HashSet<string>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (!seen.Add(prop.Name)) throw Bad($"the header lists '{prop.Name}' twice.");
            if (prop.Name == MetadataKey) { metadata = ReadMetadata(prop.Value, Bad); continue; }
            entries.Add(ReadEntry(prop.Name, prop.Value, buffer.Length, Bad));
        }

        // The tensors must tile the buffer exactly: no gap, no overlap, no trailing bytes.
        var order = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long at = 0;
        string previous = "";
        foreach (var e in order)
        {
            if (e.Begin < at) throw Bad($"tensors '{previous}' and '{e.Name}' overlap: '{e.Name}' begins at byte {e.Begin}, before '{previous}' ends at {at}.");
            if (e.Begin > at) throw Bad($"{e.Begin - at} bytes before tensor '{e.Name}' (from byte {at}) belong to no tensor.");
            (at, previous) = (e.End, e.Name);
        }
        if (at != buffer.Length)
            throw Bad($"{buffer.Length - at} trailing bytes after the last tensor: the data buffer has {buffer.Length} bytes but the tensors cover {at}.");

        var tensors = ImmutableArray.CreateBuilder<(string, Tensor)>(entries.Count);
        foreach (var e in entries)
            tensors.Add((e.Name, new Tensor(Decode(buffer[(int)e.Begin..(int)e.End], e.DType, Shape.Of(e.Shape)))));
        return new TensorFile(source, tensors.MoveToImmutable(), metadata);
    }

    private static ImmutableDictionary<string, string> ReadMetadata(JsonElement value, Func<string, InvalidDataException> bad)
    {
        if (value.ValueKind != JsonValueKind.Object) throw bad($"{MetadataKey} is a JSON {value.ValueKind}, not an object of strings.");
        var b = ImmutableDictionary.CreateBuilder<string, string>();
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) throw bad($"{MetadataKey} entry '{p.Name}' is a JSON {p.Value.ValueKind}, not a string.");
            if (!b.TryAdd(p.Name, p.Value.GetString()!)) throw bad($"{MetadataKey} lists '{p.Name}' twice.");
        }
        return b.ToImmutable();
    }

    private static (string, DType, int[], long, long) ReadEntry(string name, JsonElement e, int bufferLength, Func<string, InvalidDataException> bad)
    {
        if (e.ValueKind != JsonValueKind.Object) throw bad($"tensor '{name}' is a JSON {e.ValueKind}, not an object.");
        JsonElement Field(string key) => e.TryGetProperty(key, out var v) ? v : throw bad($"tensor '{name}' has no \"{key}\".");
        var dt = Field("dtype");
        var dtype = dt.ValueKind == JsonValueKind.String ? dt.GetString() switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            var other => throw bad($"tensor '{name}' has dtype '{other}'; only F32 and F64 are supported."),
        } : throw bad($"tensor '{name}' has a dtype that is not a string.");
        var shape = Integers(Field("shape"), "shape").Select(d => d <= int.MaxValue ? (int)d
            : throw bad($"tensor '{name}' has an axis of {d} elements, too many.")).ToArray();
        var offsets = Integers(Field("data_offsets"), "data_offsets");
        if (offsets.Length != 2) throw bad($"tensor '{name}' has {offsets.Length} data_offsets, not 2.");
        (long begin, long end) = (offsets[0], offsets[1]);
        string span = $"data_offsets [{begin}, {end}]";
        if (begin > end || end > bufferLength)
            throw bad($"tensor '{name}': {span} lie outside the {bufferLength}-byte data buffer (truncated file?).");
        long bytes = dtype.ElementSize();
        foreach (var d in shape) bytes = d == 0 ? 0 : bytes > long.MaxValue / d ? long.MaxValue : bytes * d;
        if (bytes != end - begin)
            throw bad($"tensor '{name}': shape [{string.Join(", ", shape)}] of {(dtype == DType.Float32 ? "F32" : "F64")} needs {bytes} bytes but {span} hold {end - begin}.");
        return (name, dtype, shape, begin, end);

        long[] Integers(JsonElement a, string key)
        {
            if (a.ValueKind != JsonValueKind.Array) throw bad($"tensor '{name}' has a \"{key}\" that is not an array.");
            return a.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out long v) && v >= 0 ? v
                : throw bad($"tensor '{name}' has a \"{key}\" entry {x.GetRawText()} that is not a non-negative integer.")).ToArray();
        }
    }

    private static NDArray Decode(ReadOnlySpan<byte> raw, DType dtype, Shape shape)
    {
        if (dtype == DType.Float32)
        {
            var f = new float[shape.Size];
            if (BitConverter.IsLittleEndian) raw.CopyTo(MemoryMarshal.AsBytes(f.AsSpan()));
            else for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
            return new NDArray(shape, f);
        }
        var d = new double[shape.Size];
        if (BitConverter.IsLittleEndian) raw.CopyTo(MemoryMarshal.AsBytes(d.AsSpan()));
        else for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
        return new NDArray(shape, d);
    }

    private static byte[] Header(IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in tensors)
            {
                if (string.IsNullOrEmpty(name) || name == MetadataKey || !names.Add(name))
                    throw new ArgumentException($"SafeTensors.Write: tensor name '{name}' is empty, reserved or repeated.");
                long size = (long)t.Size * t.DType.ElementSize();
                w.WriteStartObject(name);
                w.WriteString("dtype", t.DType == DType.Float32 ? "F32" : "F64");
                w.WriteStartArray("shape");
                foreach (var d in t.Shape.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - ms.Length % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    private static void WriteBody(Stream s, byte[] header, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        s.Write(len);
        s.Write(header);
        foreach (var (_, t) in tensors)
        {
            if (BitConverter.IsLittleEndian)
            {
                if (t.DType == DType.Float32) s.Write(MemoryMarshal.AsBytes(t.Value.Span<float>()));
                else s.Write(MemoryMarshal.AsBytes(t.Value.Span<double>()));
                continue;
            }
            var le = new byte[t.Size * t.DType.ElementSize()];
            for (int i = 0; i < t.Size; i++)
                if (t.DType == DType.Float32) BinaryPrimitives.WriteSingleLittleEndian(le.AsSpan(4 * i), t.Value.Span<float>()[i]);
                else BinaryPrimitives.WriteDoubleLittleEndian(le.AsSpan(8 * i), t.Value.Span<double>()[i]);
            s.Write(le);
        }
    }
}
