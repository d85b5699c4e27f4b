using System.Collections.Immutable;

namespace Autograd.IO;

/// <summary>The validated content of a safetensors file: named tensors in header order and the string metadata.</summary>
public sealed class TensorFile
{
    private readonly ImmutableDictionary<string, Tensor> _byName;

    /// <summary>A file's content; <paramref name="source"/> (a path) names it in errors.</summary>
    public TensorFile(string source, ImmutableArray<(string Name, Tensor Tensor)> tensors, ImmutableDictionary<string, string> metadata)
    {
        Source = source;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToImmutableDictionary(t => t.Name, t => t.Tensor);
    }

    /// <summary>Where the content came from (the path), for messages.</summary>
    public string Source { get; }

    /// <summary>The tensors, in the order the header lists them.</summary>
    public ImmutableArray<(string Name, Tensor Tensor)> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public ImmutableDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>; a missing name is an <see cref="InvalidDataException"/> naming the file.</summary>
    public Tensor this[string name] => _byName.TryGetValue(name, out var t) ? t
        : throw new InvalidDataException($"{Source}: there is no tensor named '{name}' (the file has {Tensors.Length}).");

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);
}
