using System.Collections.Immutable;
using Autograd;
using Autograd.Data;
using Autograd.IO;
using Autograd.Nn;
using Autograd.Optim;

namespace Autograd.Tests.Training;

public sealed record TinyLm(Embedding Emb, Linear Out);

public sealed class CheckpointTests : IDisposable
{
    private static readonly string[] Names = ["emb.weight", "out.weight", "out.bias"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("checkpoint-tests-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static TinyLm Model(int seed) { var r = new Random(seed); return new TinyLm(Embedding.Create(5, 3, r), Linear.Create(3, 5, r)); }

    private static Tensor Loss(TinyLm m) => Ops.CrossEntropy(m.Out.Apply(m.Emb.Apply([0, 1, 2, 3])), [1, 2, 3, 4]);

    [Fact]
    public void Training_checkpoint_round_trips_parameters_optimizer_state_vocabulary_and_config()
    {
        var model = Model(1);
        var opt = new Adam(lr: 0.01);
        var state = opt.Init(model);
        for (int i = 0; i < 3; i++) (model, state) = opt.Step(model, Ad.Grad(Loss, model), state);
        var path = Path.Combine(_dir.FullName, "ck.safetensors");
        var vocab = Vocabulary.FromText("abcde");
        Checkpoint.SaveTraining(path, new TrainingCheckpoint<TinyLm, AdamState>(model, state, vocab, "{\"hidden\":3}",
            ImmutableDictionary<string, string>.Empty.Add("git", "abc123")), Names);

        var file = Checkpoint.Load(path);
        Assert.Equal(["emb.weight", "out.weight", "out.bias", "optim.m.emb.weight", "optim.m.out.weight", "optim.m.out.bias",
                      "optim.v.emb.weight", "optim.v.out.weight", "optim.v.out.bias"], file.Tensors.Select(t => t.Name));
        Assert.Equal("3", file.Metadata[Checkpoint.StepKey]);

        var back = Checkpoint.LoadTraining<TinyLm, AdamState>(path, Model(99), Names);
        Assert.Equal(3, back.OptimizerState.Step);
        Assert.Equal("{\"hidden\":3}", back.Config);
        Assert.Equal("abcde", back.Vocabulary!.Decode([0, 1, 2, 3, 4]));
        Assert.Equal("abc123", back.Metadata!["git"]);
        foreach (var (a, b) in Tree.Flatten(model).Zip(Tree.Flatten(back.Parameters))) Assert.True(a.Value.ValueEquals(b.Value));
        foreach (var (a, b) in state.V.Zip(back.OptimizerState.V)) Assert.True(a.Value.ValueEquals(b.Value));
        // Resuming from the checkpoint gives exactly the step the uninterrupted run takes.
        var g = Ad.Grad(Loss, model);
        var direct = opt.Step(model, g, state).Params;
        var resumed = opt.Step(back.Parameters, g, back.OptimizerState).Params;
        Assert.True(direct.Out.Weight.Value.ValueEquals(resumed.Out.Weight.Value));
    }

    [Fact]
    public void Restore_checks_names_and_shapes()
    {
        var path = Path.Combine(_dir.FullName, "p.safetensors");
        Checkpoint.Save(path, Checkpoint.Named(Model(1), Names));
        var file = Checkpoint.Load(path);
        var restored = Checkpoint.Restore(Model(2), file, Names);
        Assert.True(restored.Emb.Weight.Value.ValueEquals(Model(1).Emb.Weight.Value));
        var wider = new TinyLm(Embedding.Create(6, 3, new Random(0)), Linear.Create(3, 5, new Random(0)));
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Restore(wider, file, Names));
        Assert.Contains("'emb.weight' has shape [5, 3] but the model expects [6, 3]", ex.Message);
        Assert.Contains("no tensor named 'rnn.weight_ih_l0'",
            Assert.Throws<InvalidDataException>(() => Checkpoint.Restore(Model(2), file, ["emb.weight", "rnn.weight_ih_l0", "out.bias"])).Message);
        Assert.Contains("2 names given for the 3 tensors", Assert.Throws<ArgumentException>(() => Checkpoint.Named(Model(1), ["a", "b"])).Message);
        Assert.Contains("repeat", Assert.Throws<ArgumentException>(() => Checkpoint.Named(Model(1), ["a", "b", "a"])).Message);
        // Parameters alone carry no optimizer step.
        Assert.Contains(Checkpoint.StepKey, Assert.Throws<InvalidDataException>(() => Checkpoint.RestoreOptimizer<AdamState, TinyLm>(file, Model(1), Names)).Message);
    }

    [Fact]
    public void A_float64_checkpoint_restores_into_a_float32_model()
    {
        var path = Path.Combine(_dir.FullName, "d.safetensors");
        var m64 = new Linear(Tensor.FromArray(new double[] { 0.1, 0.2 }, 1, 2), Tensor.FromArray(new double[] { 0.3 }, 1));
        Checkpoint.Save(path, Checkpoint.Named(m64, ["weight", "bias"]));
        var m32 = Checkpoint.Restore(Linear.Create(2, 1, new Random(0)), Checkpoint.Load(path), ["weight", "bias"]);
        Assert.Equal(DType.Float32, m32.Weight.DType);
        Assert.Equal(new[] { 0.1f, 0.2f }, m32.Weight.ToFloatArray());
    }
}
