namespace Autograd;

/// <summary>
/// A node of the recorded computation graph: an immutable value, the primitive that produced it and that
/// primitive's inputs. Leaves (constants and function arguments) have no primitive. Every operation returns a
/// new node; nothing is mutated after construction and gradients are never stored here: they are returned by
/// <see cref="Ad.Grad{P}(Func{P, Tensor}, P)"/> and friends.
/// </summary>
public sealed partial class Tensor
{
    private static long s_nextId;
    // PERF: up to two inputs live in fields, so recording a node allocates the node alone, not also an inputs array:
    // three objects per recorded op instead of four, and a long graph is that much less for the collector to copy.
    private readonly Tensor? _input0, _input1;
    private readonly Tensor[]? _inputs; // every input, when there are more than two

    /// <summary>Number of inputs of <see cref="Op"/>.</summary>
    internal int InputCount => _inputs?.Length ?? (_input1 is not null ? 2 : _input0 is not null ? 1 : 0);

    internal Tensor(NDArray value, Primitive? op, Tensor[] inputs) : this(value, op,
        inputs.Length is 1 or 2 ? inputs[0] : null, inputs.Length == 2 ? inputs[1] : null, inputs.Length > 2 ? inputs : null) { }

    internal Tensor(NDArray value, Primitive op, Tensor input) : this(value, op, input, null, null) { }

    internal Tensor(NDArray value, Primitive op, Tensor input0, Tensor input1) : this(value, op, input0, input1, null) { }

    private Tensor(NDArray value, Primitive? op, Tensor? input0, Tensor? input1, Tensor[]? inputs)
    {
        Value = value;
        Op = op;
        (_input0, _input1, _inputs) = (input0, input1, inputs);
        // Ids grow with creation order, and a node is always created after its inputs: sorting by Id is a
        // topological order, which the reverse sweep uses instead of a recursive search.
        Id = Interlocked.Increment(ref s_nextId);
    }

    /// <summary>Wraps a value as a leaf of the graph.</summary>
    public Tensor(NDArray value) : this(value, null, []) { }

    /// <summary>The value.</summary>
    public NDArray Value { get; }

    /// <summary>The primitive that produced this node, or null for a leaf.</summary>
    public Primitive? Op { get; }

    /// <summary>The inputs of <see cref="Op"/> (empty for a leaf).</summary>
    public IReadOnlyList<Tensor> Inputs => InputCount switch { 0 => [], 1 => [_input0!], 2 => [_input0!, _input1!], _ => [.. _inputs!] };

    /// <summary>Input <paramref name="i"/> of <see cref="Op"/> (0 ≤ i &lt; <see cref="InputCount"/>).</summary>
    internal Tensor Input(int i) => _inputs is { } all ? all[i] : i == 0 ? _input0! : _input1!;

    /// <summary>A process-wide creation number; inputs always have smaller ids than the nodes made from them.</summary>
    public long Id { get; }

    /// <summary>True for a node no primitive produced.</summary>
    public bool IsLeaf => Op is null;

    /// <summary>The shape.</summary>
    public Shape Shape => Value.Shape;

    /// <summary>The element type.</summary>
    public DType DType => Value.DType;

    /// <summary>Number of axes.</summary>
    public int Rank => Value.Rank;

    /// <summary>Number of elements.</summary>
    public int Size => Value.Size;

    /// <summary>The single element of a one-element tensor.</summary>
    public double Item() => Value.Item();

    /// <summary>The element at the given index (one entry per axis; negative entries count from the end).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public double this[params int[] index] => Value[index];

    /// <summary>The elements as doubles, row-major.</summary>
    public double[] ToDoubleArray() => Value.ToDoubleArray();

    /// <summary>The elements as floats, row-major.</summary>
    public float[] ToFloatArray() => Value.ToFloatArray();

    /// <summary>NumPy-style text of the value, dtype and shape.</summary>
    public override string ToString() => Value.ToString();
}
