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
    internal readonly Tensor[] InputArray;

    internal Tensor(NDArray value, Primitive? op, Tensor[] inputs)
    {
        Value = value;
        Op = op;
        InputArray = inputs;
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
    public IReadOnlyList<Tensor> Inputs => InputArray;

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
