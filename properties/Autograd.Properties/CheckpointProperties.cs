using Autograd.IO;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Autograd.Properties;

/// <summary>Checkpoints round-trip: any set of named float32/float64 tensors (scalars and empty ones included) and
/// metadata written as safetensors reads back bit for bit, through a file (atomic write) and through bytes.</summary>
public sealed class CheckpointProperties
{
    /// <summary>A generated checkpoint: tensors described by (dtype, shape, seed) and metadata pairs.</summary>
    public sealed record Spec((bool Float64, int[] Shape, int Seed)[] Tensors, (string Key, string Value)[] Metadata)
    {
        public (string Name, Tensor Tensor)[] Build() => Tensors.Select((t, i) =>
        {
            var x = Tensor.RandomNormal(Shape.Of(t.Shape), t.Seed, std: 1e3, dtype: t.Float64 ? DType.Float64 : DType.Float32);
            return ($"layer{i}.weight", x);
        }).ToArray();

        public Dictionary<string, string> Meta() => Metadata.GroupBy(m => m.Key).ToDictionary(g => g.Key, g => g.First().Value);

        public override string ToString() =>
            $"[{string.Join("; ", Tensors.Select(t => $"{(t.Float64 ? "F64" : "F32")}[{string.Join(",", t.Shape)}] seed {t.Seed}"))}] meta {Metadata.Length}";
    }

    private static Arbitrary<Spec> Specs()
    {
        var tensor = from f64 in Gen.Elements(false, true)
                     from rank in Gen.Choose(0, 3)
                     from shape in Gen.ArrayOf(Gen.Choose(0, 4), rank)
                     from seed in Gen.Choose(0, 10_000)
                     select (f64, shape, seed);
        var text = Gen.Elements("", "a", "lstm", "{\"json\": [1, 2]}", "ünïcødé ✓", "line\nbreak", "quote\"s");
        var meta = from key in Gen.Elements("vocab", "config", "optim.step", "note")
                   from value in text
                   select (key, value);
        var spec = from ts in Gen.ArrayOf(tensor).Select(a => a.Take(6).ToArray())
                   from ms in Gen.ArrayOf(meta).Select(a => a.Take(4).ToArray())
                   select new Spec(ts, ms);
        return Arb.From(spec);
    }

    [Property(MaxTest = 60)]
    public Property Write_then_read_gives_the_same_tensors_and_metadata() => Prop.ForAll(Specs(), spec =>
    {
        var tensors = spec.Build();
        var meta = spec.Meta();
        var dir = Directory.CreateTempSubdirectory("ckpt-prop").FullName;
        try
        {
            var path = Path.Combine(dir, "model.safetensors");
            Checkpoint.Save(path, tensors, meta);
            var fromFile = Checkpoint.Load(path);
            using var bytes = new MemoryStream();
            SafeTensors.Serialize(bytes, tensors, meta);
            var fromBytes = SafeTensors.Deserialize(bytes.ToArray(), "memory");
            bool Same(TensorFile f) =>
                f.Tensors.Length == tensors.Length
                && tensors.All(t => f.Contains(t.Name) && f[t.Name].Value.ValueEquals(t.Tensor.Value))
                && meta.All(m => f.Metadata.TryGetValue(m.Key, out var v) && v == m.Value);
            // Only the checkpoint itself is left in the folder: the atomic write's temporary file is gone.
            return Same(fromFile) && Same(fromBytes) && Directory.GetFiles(dir).Length == 1;
        }
        finally { Directory.Delete(dir, recursive: true); }
    });
}
