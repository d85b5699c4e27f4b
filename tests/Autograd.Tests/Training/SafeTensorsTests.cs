using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Autograd;
using Autograd.IO;

namespace Autograd.Tests.Training;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("safetensors-tests-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static readonly (string, Tensor)[] Sample =
    [
        ("emb.weight", Tensor.FromArray(new float[] { 1.5f, -2, 3.25f, 1e-30f, float.MaxValue, -0f }, 3, 2)),
        ("out.bias", Tensor.FromArray(new double[] { Math.PI, -1e300 }, 2)),
        ("scale", Tensor.Scalar(0.125, DType.Float64)),
        ("empty", Tensor.Zeros(Shape.Of(0, 3))),
        ("ünïcode", Tensor.FromArray(new float[] { 7 }, 1, 1, 1)),
    ];

    [Fact]
    public void Round_trip_keeps_names_dtypes_shapes_values_and_metadata()
    {
        var path = PathOf("model.safetensors");
        var meta = new Dictionary<string, string> { ["config"] = "{\"hidden\": 256}", ["note"] = "ünï \"quoted\"" };
        SafeTensors.Write(path, Sample, meta);
        var file = SafeTensors.Read(path);
        Assert.Equal(Sample.Select(s => s.Item1), file.Tensors.Select(t => t.Name));
        foreach (var (name, t) in Sample)
        {
            var r = file[name];
            Assert.Equal(t.DType, r.DType);
            Assert.Equal(t.Shape, r.Shape);
            Assert.True(t.Value.ValueEquals(r.Value), name);
        }
        Assert.Equal(meta.OrderBy(kv => kv.Key), file.Metadata.OrderBy(kv => kv.Key));
        Assert.Contains("no tensor named 'missing'", Assert.Throws<InvalidDataException>(() => file["missing"]).Message);
    }

    [Fact]
    public void Layout_is_length_then_space_padded_json_then_little_endian_data()
    {
        var path = PathOf("layout.safetensors");
        SafeTensors.Write(path, [("a", Tensor.FromArray(new float[] { 1, 2 }, 2)), ("b", Tensor.FromArray(new double[] { -1 }, 1))]);
        var bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        var trimmed = header.TrimEnd(' ');
        Assert.EndsWith("}", trimmed);
        Assert.InRange(header.Length - trimmed.Length, 0, 7);
        using var doc = JsonDocument.Parse(header);
        Assert.Equal("F32", doc.RootElement.GetProperty("a").GetProperty("dtype").GetString());
        Assert.Equal(new long[] { 0, 8 }, doc.RootElement.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()));
        Assert.Equal(new long[] { 8, 16 }, doc.RootElement.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()));
        Assert.False(doc.RootElement.TryGetProperty("__metadata__", out _));
        Assert.Equal(8 + n + 16, bytes.Length);
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n + 4))));
        Assert.Equal(-1.0, BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan((int)(8 + n + 8))));
    }

    // A file from a header written by hand and a data buffer.
    private string Handmade(string json, int dataBytes, string name = "bad.safetensors")
    {
        var h = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void Rejects(string path, params string[] fragments)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains(path, ex.Message);
        foreach (var f in fragments) Assert.Contains(f, ex.Message);
    }

    [Fact]
    public void A_handmade_valid_file_loads_so_the_corruptions_below_are_what_fails()
    {
        var f = SafeTensors.Read(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]}}", 16));
        Assert.Equal(new[] { 2 }, f["a"].Shape.ToArray());
        Assert.Equal(0, f["b"].Rank);
    }

    [Fact]
    public void Truncated_file_is_rejected()
    {
        var path = PathOf("t.safetensors");
        SafeTensors.Write(path, Sample);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        Rejects(path, "outside", "truncated");
        File.WriteAllBytes(path, bytes[..5]);
        Rejects(path, "truncated", "5 bytes");
    }

    [Fact]
    public void Header_length_beyond_the_file_is_rejected()
    {
        var path = Handmade("{}", 0);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 3);
        File.WriteAllBytes(path, bytes);
        Rejects(path, "header length 3 exceeds the 2 bytes");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(path, bytes);
        Rejects(path, "limit");
    }

    [Fact] public void Bad_json_is_rejected() => Rejects(Handmade("{\"a\": {\"dtype\": ", 0), "not valid JSON");

    [Fact] public void A_header_that_is_not_an_object_is_rejected() => Rejects(Handmade("[1, 2]", 0), "not an object");

    [Fact] public void Unknown_dtype_is_rejected() =>
        Rejects(Handmade("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "'a'", "dtype 'I64'");

    [Fact] public void Shape_and_size_mismatch_is_rejected() =>
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20), "'a'", "needs 24 bytes", "hold 20");

    [Fact] public void Offsets_outside_the_buffer_are_rejected() =>
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "'a'", "outside the 8-byte data buffer");

    [Fact] public void Reversed_offsets_are_rejected() =>
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8), "'a'", "data_offsets [8, 0]");

    [Fact] public void Overlapping_offsets_are_rejected() =>
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
            "'a' and 'b' overlap");

    [Fact] public void A_gap_between_tensors_is_rejected() =>
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20),
            "4 bytes before tensor 'b'");

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var path = PathOf("trail.safetensors");
        SafeTensors.Write(path, Sample);
        File.AppendAllText(path, "junk");
        Rejects(path, "4 trailing bytes");
    }

    [Fact] public void Duplicate_names_are_rejected() =>
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "'a' twice");

    [Fact] public void Missing_fields_and_bad_integers_are_rejected()
    {
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "'a' has no \"shape\"");
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "not a non-negative integer");
        Rejects(Handmade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "1 data_offsets");
    }

    [Fact] public void Non_string_metadata_is_rejected() =>
        Rejects(Handmade("{\"__metadata__\":{\"step\":3}}", 0), "__metadata__ entry 'step'", "not a string");

    [Fact]
    public void Atomic_write_leaves_only_the_target_and_replaces_it_whole()
    {
        var path = PathOf("m.safetensors");
        SafeTensors.Write(path, Sample);
        SafeTensors.Write(path, [("x", Tensor.Scalar(1))]);
        Assert.Equal(new[] { "m.safetensors" }, _dir.GetFiles().Select(f => f.Name));
        Assert.Equal("x", Assert.Single(SafeTensors.Read(path).Tensors).Name);
    }

    [Fact]
    public void A_failed_write_keeps_the_existing_file_and_leaves_no_temp_file()
    {
        var path = PathOf("keep.safetensors");
        SafeTensors.Write(path, Sample);
        var before = File.ReadAllBytes(path);
        // Rejected before any byte is written.
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("a", Tensor.Scalar(1)), ("a", Tensor.Scalar(2))]));
        // Failing halfway through the data.
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s => { s.Write(new byte[100]); throw new IOException("disk full"); }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "keep.safetensors" }, _dir.GetFiles().Select(f => f.Name));
        // A failed first write creates nothing.
        Assert.Throws<IOException>(() => AtomicFile.Write(PathOf("new.bin"), s => throw new IOException("no")));
        Assert.False(File.Exists(PathOf("new.bin")));
        Assert.Single(_dir.GetFiles());
    }
}
