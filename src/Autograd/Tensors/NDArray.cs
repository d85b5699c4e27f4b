using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autograd;

/// <summary>
/// The value layer: an immutable, dense, contiguous, row-major array of float32 or float64 values.
/// It knows nothing of differentiation; <see cref="Tensor"/> records operations over it.
/// Once constructed, its elements never change (kernels only ever write into arrays they have just allocated).
/// </summary>
public sealed partial class NDArray
{
    // float[] or double[], exactly Shape.Size long. Never written after construction.
    internal readonly Array Data;

    internal NDArray(Shape shape, Array data)
    {
        Shape = shape;
        Data = data;
    }

    /// <summary>The shape.</summary>
    public Shape Shape { get; }

    /// <summary>The element type.</summary>
    // PERF: read off the data's type, not stored, so an array header is 32 bytes, not 40: one per node of a graph.
    public DType DType => Data is float[] ? DType.Float32 : DType.Float64;

    /// <summary>Number of elements.</summary>
    public int Size => Shape.Size;

    /// <summary>Number of axes.</summary>
    public int Rank => Shape.Rank;

    /// <summary>A fresh array whose elements the caller fills before anyone else sees it.</summary>
    internal static NDArray Empty(Shape shape, DType dtype) => dtype == DType.Float32
        ? new NDArray(shape, Tensors.Recycled.Rent<float>(shape.Size))
        : new NDArray(shape, Tensors.Recycled.Rent<double>(shape.Size));

    internal static NDArray Empty<T>(Shape shape) where T : unmanaged => new(shape, Tensors.Recycled.Rent<T>(shape.Size));

    /// <summary>A zero-filled array.</summary>
    // PERF: a large one is a recycled array cleared (Empty), not fresh memory for the kernel to fault in.
    public static NDArray Zeros(Shape shape, DType dtype = DType.Float32)
    {
        var zeros = Empty(shape, dtype);
        System.Array.Clear(zeros.Data);
        return zeros;
    }

    /// <summary>An array with every element equal to <paramref name="value"/>.</summary>
    public static NDArray Full(Shape shape, double value, DType dtype = DType.Float32)
    {
        var r = Empty(shape, dtype);
        if (dtype == DType.Float32) System.Array.Fill((float[])r.Data, (float)value);
        else System.Array.Fill((double[])r.Data, value);
        return r;
    }

    /// <summary>Copies <paramref name="values"/> (row-major) into a new array of the given shape.</summary>
    public static NDArray From<T>(ReadOnlySpan<T> values, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (values.Length != shape.Size)
            throw new ShapeMismatchException($"NDArray.From: {values.Length} values cannot fill shape {shape} ({shape.Size} elements).");
        _ = DTypeExtensions.Of<T>();
        return new NDArray(shape, values.ToArray());
    }

    /// <summary>The elements as a read-only span of <typeparamref name="T"/>, which must match <see cref="DType"/>.</summary>
    public ReadOnlySpan<T> Span<T>() where T : unmanaged
    {
        if (Data is not T[] a)
            throw new InvalidCastException($"NDArray.Span<{typeof(T).Name}>: the array holds {DType.Name()} elements.");
        return a;
    }

    // Unchecked typed access for kernels that already dispatched on DType.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal T[] Array<T>() => Unsafe.As<T[]>(Data);

    /// <summary>The elements converted to <see cref="double"/>, row-major.</summary>
    public double[] ToDoubleArray() => Data is double[] d ? (double[])d.Clone() : System.Array.ConvertAll((float[])Data, v => (double)v);

    /// <summary>The elements converted to <see cref="float"/>, row-major.</summary>
    public float[] ToFloatArray() => Data is float[] f ? (float[])f.Clone() : System.Array.ConvertAll((double[])Data, v => (float)v);

    /// <summary>The element at flat (row-major) position <paramref name="flatIndex"/>, as a double.</summary>
    public double GetFlat(int flatIndex) => Data is float[] f ? f[flatIndex] : ((double[])Data)[flatIndex];

    /// <summary>The element at the given index (one entry per axis), as a double.</summary>
    [IndexerName("Element")]
    public double this[params int[] index] => GetFlat(FlatIndex(index));

    /// <summary>The single element of a one-element array.</summary>
    public double Item() => Size == 1 ? GetFlat(0)
        : throw new InvalidOperationException($"Item: only a one-element tensor has an item; this one has shape {Shape}.");

    internal int FlatIndex(ReadOnlySpan<int> index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Index: {index.Length} indices given for a tensor of rank {Rank} (shape {Shape}).");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            int d = Shape[i], k = index[i] < 0 ? index[i] + d : index[i];
            if (k < 0 || k >= d)
                throw new IndexOutOfRangeException($"Index: index {index[i]} is out of range for axis {i} of size {d} (shape {Shape}).");
            flat = flat * d + k;
        }
        return flat;
    }

    /// <summary>The same elements viewed with another shape of equal size (no copy: both are immutable).</summary>
    public NDArray Reshape(Shape shape)
    {
        if (shape.Size != Size)
            throw new ShapeMismatchException($"Reshape: cannot view shape {Shape} ({Size} elements) as {shape} ({shape.Size} elements).");
        return ReferenceEquals(shape, Shape) ? this : new NDArray(shape, Data);
    }

    /// <summary>Converts to another element type (returns this array when it already has that type).</summary>
    public NDArray Cast(DType dtype) => dtype == DType ? this
        : dtype == DType.Float64 ? new NDArray(Shape, ToDoubleArray()) : new NDArray(Shape, ToFloatArray());

    /// <summary>True when both arrays have the same shape, dtype and elements.</summary>
    public bool ValueEquals(NDArray other) => Shape.Equals(other.Shape) && DType == other.DType &&
        (Data is float[] f ? f.AsSpan().SequenceEqual((float[])other.Data) : ((double[])Data).AsSpan().SequenceEqual((double[])other.Data));

    /// <summary>Index of the largest element along the last axis, for each leading position (ties: the first).</summary>
    public int[] ArgMaxLastAxis()
    {
        int n = Rank == 0 ? 1 : Shape[-1], rows = n == 0 ? 0 : Size / n;
        var r = new int[rows];
        for (int i = 0; i < rows; i++)
            r[i] = Data is float[] f ? System.Numerics.Tensors.TensorPrimitives.IndexOfMax(f.AsSpan(i * n, n))
                                     : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(((double[])Data).AsSpan(i * n, n));
        return r;
    }
}
