namespace Autograd;

/// <summary>An immutable tensor shape: the size of each axis, row-major (the last axis varies fastest).</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    /// <summary>The shape of a rank-0 tensor (one element).</summary>
    public static readonly Shape Scalar = new([]);

    private Shape(int[] dims)
    {
        _dims = dims;
        long size = 1;
        foreach (var d in dims) size *= d;
        if (size > int.MaxValue) throw new ArgumentException($"Shape {Format(dims)} has {size} elements; at most {int.MaxValue} are supported.");
        Size = (int)size;
    }

    /// <summary>Makes a shape from axis sizes; each must be non-negative.</summary>
    public static Shape Of(params ReadOnlySpan<int> dims)
    {
        if (dims.Length == 0) return Scalar;
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"Shape {Format(dims.ToArray())}: axis sizes must be non-negative.");
        return new Shape(dims.ToArray());
    }

    /// <summary>Number of axes.</summary>
    public int Rank => _dims.Length;

    /// <summary>Number of elements (the product of the axis sizes; 1 for a scalar).</summary>
    public int Size { get; }

    /// <summary>The size of axis <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis] => _dims[axis < 0 ? axis + _dims.Length : axis];

    /// <summary>The axis sizes.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>A copy of the axis sizes.</summary>
    public int[] ToArray() => (int[])_dims.Clone();

    /// <summary>The product of every axis but the last: the row count of the array read as a matrix [rows, last].</summary>
    internal int Rows
    {
        get
        {
            int r = 1;
            for (int i = 0; i < _dims.Length - 1; i++) r *= _dims[i];
            return r;
        }
    }

    /// <summary>Row-major strides in elements.</summary>
    public int[] Strides()
    {
        var s = new int[_dims.Length];
        int acc = 1;
        for (int i = _dims.Length - 1; i >= 0; i--) { s[i] = acc; acc *= _dims[i]; }
        return s;
    }

    /// <summary>Resolves a possibly negative axis, or throws naming <paramref name="op"/> and the shape.</summary>
    public int Axis(int axis, string op) => Axis(axis, Rank, op, this);

    internal static int Axis(int axis, int rank, string op, Shape shape)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for a tensor of shape {shape} (rank {rank}); valid axes are {-rank}..{rank - 1}.");
        return a;
    }

    /// <summary>The NumPy broadcast of two shapes, or an exception naming <paramref name="op"/> and both shapes.</summary>
    public static Shape Broadcast(Shape a, Shape b, string op)
    {
        if (ReferenceEquals(a, b) || a.Equals(b)) return a;
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a._dims[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b._dims[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ShapeMismatchException($"{op}: shapes {a} and {b} cannot be broadcast together (axis {i} of the broadcast: {da} vs {db}).");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    /// <summary>Replaces the size of one axis.</summary>
    public Shape WithAxis(int axis, int size)
    {
        var d = ToArray();
        d[axis] = size;
        return new Shape(d);
    }

    /// <summary>Removes one axis.</summary>
    public Shape RemoveAxis(int axis)
    {
        var d = new List<int>(_dims);
        d.RemoveAt(axis);
        return new Shape([.. d]);
    }

    /// <summary>Inserts an axis of size <paramref name="size"/> before position <paramref name="axis"/>.</summary>
    public Shape InsertAxis(int axis, int size)
    {
        var d = new List<int>(_dims);
        d.Insert(axis, size);
        return new Shape([.. d]);
    }

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Formats as <c>[2, 3]</c>.</summary>
    public override string ToString() => Format(_dims);

    private static string Format(int[] dims) => "[" + string.Join(", ", dims) + "]";

    /// <summary>Shapes convert implicitly from an axis-size array.</summary>
    public static implicit operator Shape(int[] dims) => Of(dims);
}

/// <summary>Thrown when the shapes given to an operation do not fit together; the message names the operation and the shapes.</summary>
public sealed class ShapeMismatchException(string message) : ArgumentException(message);
