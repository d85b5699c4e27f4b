using System.Collections.Immutable;
using System.Globalization;
using Autograd.Data;
using Autograd.Optim;

namespace Autograd.IO;

/// <summary>
/// A training checkpoint: a model's parameters (explicitly named, e.g. PyTorch's <c>emb.weight</c>,
/// <c>rnn.weight_ih_l0</c>, <c>out.weight</c>), an optimizer's state and string metadata.
/// </summary>
/// <typeparam name="P">The parameter tree type.</typeparam>
/// <typeparam name="S">The optimizer state type.</typeparam>
/// <param name="Parameters">The model's parameters.</param>
/// <param name="OptimizerState">The optimizer's state (its slots are saved as <c>optim.&lt;slot&gt;.&lt;name&gt;</c>, its step in the metadata).</param>
/// <param name="Vocabulary">The vocabulary, saved as JSON under <see cref="Checkpoint.VocabularyKey"/>, or null.</param>
/// <param name="Config">The run's configuration as a JSON string, saved under <see cref="Checkpoint.ConfigKey"/>, or null.</param>
/// <param name="Metadata">Further metadata entries (null: none).</param>
public sealed record TrainingCheckpoint<P, S>(P Parameters, S OptimizerState, Vocabulary? Vocabulary = null, string? Config = null,
    ImmutableDictionary<string, string>? Metadata = null) where S : IOptimizerState<S>;

/// <summary>Saving and restoring parameter trees and optimizer states as safetensors files (see <see cref="SafeTensors"/>).</summary>
public static class Checkpoint
{
    /// <summary>Metadata key of the optimizer's step count.</summary>
    public const string StepKey = "optim.step";

    /// <summary>Metadata key of the vocabulary (a JSON array of one-character strings).</summary>
    public const string VocabularyKey = "vocab";

    /// <summary>Metadata key of the run configuration (a JSON string).</summary>
    public const string ConfigKey = "config";

    /// <summary>Prefix of optimizer slot tensors: <c>optim.&lt;slot&gt;.&lt;parameter name&gt;</c>.</summary>
    public const string OptimizerPrefix = "optim.";

    /// <summary>Writes named tensors and metadata to <paramref name="path"/>, atomically.</summary>
    public static void Save(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Write(path, tensors, metadata);

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    public static TensorFile Load(string path) => SafeTensors.Read(path);

    /// <summary>The leaves of <paramref name="parameters"/> (in <see cref="Tree.Flatten"/> order) paired with <paramref name="names"/>.</summary>
    public static ImmutableArray<(string Name, Tensor Tensor)> Named<P>(P parameters, IReadOnlyList<string> names)
    {
        var leaves = Tree.Flatten(parameters);
        RequireNames(names, leaves.Count, typeof(P).Name);
        return [.. leaves.Select((t, i) => (names[i], t))];
    }

    /// <summary>
    /// A copy of <paramref name="template"/> with each leaf replaced by the file's tensor of the same name (names in
    /// <see cref="Tree.Flatten"/> order). Shapes must match; a tensor stored in another dtype is converted to the template's.
    /// </summary>
    public static P Restore<P>(P template, TensorFile file, IReadOnlyList<string> names)
    {
        var leaves = Tree.Flatten(template);
        RequireNames(names, leaves.Count, typeof(P).Name);
        return Tree.Rebuild(template, leaves.Select((t, i) => Take(file, names[i], t)).ToList());
    }

    /// <summary>The optimizer's slot tensors named <c>optim.&lt;slot&gt;.&lt;name&gt;</c> for the parameter names in flatten order.</summary>
    public static ImmutableArray<(string Name, Tensor Tensor)> OptimizerTensors(IOptimizerState state, IReadOnlyList<string> names)
    {
        var b = ImmutableArray.CreateBuilder<(string, Tensor)>();
        foreach (var (slot, leaves) in state.Slots)
        {
            RequireNames(names, leaves.Length, $"optimizer slot '{slot}'");
            for (int i = 0; i < leaves.Length; i++) b.Add(($"{OptimizerPrefix}{slot}.{names[i]}", leaves[i]));
        }
        return b.ToImmutable();
    }

    /// <summary>An optimizer state from the file's <c>optim.*</c> tensors and step, shaped like <paramref name="template"/>'s leaves.</summary>
    public static S RestoreOptimizer<S, P>(TensorFile file, P template, IReadOnlyList<string> names) where S : IOptimizerState<S>
    {
        var leaves = Tree.Flatten(template);
        RequireNames(names, leaves.Count, typeof(P).Name);
        if (!file.Metadata.TryGetValue(StepKey, out var stepText) || !int.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out int step))
            throw new InvalidDataException($"{file.Source}: the metadata has no valid '{StepKey}' (found '{stepText}').");
        var slots = S.SlotNames.Select(slot =>
            leaves.Select((t, i) => Take(file, $"{OptimizerPrefix}{slot}.{names[i]}", t)).ToImmutableArray()).ToList();
        return S.FromSlots(step, slots);
    }

    /// <summary>Writes a whole training checkpoint (parameters, optimizer state and step, vocabulary, config, metadata) atomically.</summary>
    public static void SaveTraining<P, S>(string path, TrainingCheckpoint<P, S> checkpoint, IReadOnlyList<string> names) where S : IOptimizerState<S>
    {
        var tensors = Named(checkpoint.Parameters, names).AddRange(OptimizerTensors(checkpoint.OptimizerState, names));
        var meta = (checkpoint.Metadata ?? ImmutableDictionary<string, string>.Empty)
            .SetItem(StepKey, checkpoint.OptimizerState.Step.ToString(CultureInfo.InvariantCulture));
        if (checkpoint.Vocabulary is { } v) meta = meta.SetItem(VocabularyKey, v.ToJson());
        if (checkpoint.Config is { } c) meta = meta.SetItem(ConfigKey, c);
        Save(path, tensors, meta);
    }

    /// <summary>Reads a checkpoint written by <see cref="SaveTraining"/> into the shapes of <paramref name="template"/>.</summary>
    public static TrainingCheckpoint<P, S> LoadTraining<P, S>(string path, P template, IReadOnlyList<string> names) where S : IOptimizerState<S>
    {
        var file = Load(path);
        var meta = file.Metadata;
        var vocab = meta.TryGetValue(VocabularyKey, out var vj) ? Vocabulary.FromJson(vj) : null;
        meta.TryGetValue(ConfigKey, out var config);
        return new TrainingCheckpoint<P, S>(Restore(template, file, names), RestoreOptimizer<S, P>(file, template, names), vocab, config,
            meta.Remove(StepKey).Remove(VocabularyKey).Remove(ConfigKey));
    }

    private static Tensor Take(TensorFile file, string name, Tensor like)
    {
        var t = file[name];
        if (!t.Shape.Equals(like.Shape))
            throw new InvalidDataException($"{file.Source}: tensor '{name}' has shape {t.Shape} but the model expects {like.Shape}.");
        return t.DType == like.DType ? t : new Tensor(t.Value.Cast(like.DType));
    }

    private static void RequireNames(IReadOnlyList<string> names, int count, string what)
    {
        if (names.Count != count)
            throw new ArgumentException($"Checkpoint: {names.Count} names given for the {count} tensors of {what}.");
        if (names.Distinct().Count() != names.Count)
            throw new ArgumentException($"Checkpoint: the names repeat: {string.Join(", ", names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key))}.");
    }
}
