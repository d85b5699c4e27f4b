using System.Numerics;

namespace Autograd.Tensors;

/// <summary>An elementwise kernel y = f(x) over equal-length spans, written once for float and double.
/// <c>arg</c> carries the op's scalar attribute (an exponent, a bound) when it has one.</summary>
internal interface IUnaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> y, double arg) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>An elementwise kernel y = f(a, b) over equal-length spans, written once for float and double.</summary>
internal interface IBinaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>An elementwise formula y = f(a, b) written for one element and for a SIMD vector of them; both must do the
/// same operations in the same order, so that the vector lanes and the scalar tail give identical results.</summary>
internal interface ILaneFormula
{
    static abstract T Apply<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>;

    static abstract Vector<T> Apply<T>(Vector<T> a, Vector<T> b) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>The <see cref="IBinaryKernel"/> of a <see cref="ILaneFormula"/>: <see cref="Vector{T}"/> lanes, then a scalar tail.</summary>
internal struct Lanes<F> : IBinaryKernel where F : ILaneFormula
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // PERF: the formula over SIMD lanes; for generic T the JIT does not vectorize the scalar loop by itself.
            ref T ra = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
            ref T rb = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
            ref T ry = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            for (; i <= y.Length - Vector<T>.Count; i += Vector<T>.Count)
                Vector.StoreUnsafe(F.Apply(Vector.LoadUnsafe(ref ra, (nuint)i), Vector.LoadUnsafe(ref rb, (nuint)i)), ref ry, (nuint)i);
        }
        for (; i < y.Length; i++) y[i] = F.Apply(a[i], b[i]);
    }
}

/// <summary>Dispatch from an <see cref="NDArray"/>'s dtype to one generic kernel, and NumPy broadcasting.</summary>
internal static class Kernels
{
    /// <summary>y = K(x) elementwise.</summary>
    public static NDArray Map<K>(NDArray x, double arg = 0) where K : IUnaryKernel =>
        x.DType == DType.Float32 ? Map<K, float>(x, arg) : Map<K, double>(x, arg);

    private static NDArray Map<K, T>(NDArray x, double arg) where K : IUnaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = NDArray.Empty<T>(x.Shape);
        K.Apply<T>(x.Array<T>(), y.Array<T>(), arg);
        return y;
    }

    /// <summary>y = K(a, b) elementwise for two arrays of the same shape and dtype.</summary>
    public static NDArray Zip<K>(NDArray a, NDArray b) where K : IBinaryKernel => Zip<K>(a, b, into: null);

    /// <summary>y = K(a, b) elementwise, written over <paramref name="into"/> when given: a buffer of the same shape and
    /// dtype that its owner gives up (it may be a or b itself, as the kernels read each element before writing it).</summary>
    public static NDArray Zip<K>(NDArray a, NDArray b, NDArray? into) where K : IBinaryKernel
    {
        into ??= NDArray.Empty(a.Shape, a.DType);
        if (a.DType == DType.Float32) K.Apply<float>(a.Array<float>(), b.Array<float>(), into.Array<float>());
        else K.Apply<double>(a.Array<double>(), b.Array<double>(), into.Array<double>());
        return into;
    }

    /// <summary>y = K(a, b) with NumPy broadcasting; <paramref name="op"/> names the operation in errors.</summary>
    public static NDArray Broadcast<K>(NDArray a, NDArray b, string op) where K : IBinaryKernel
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: dtypes {a.DType.Name()} and {b.DType.Name()} differ (Tensor operations promote; kernels do not).");
        var shape = Shape.Broadcast(a.Shape, b.Shape, op);
        if (a.Shape.Equals(b.Shape)) return Zip<K>(a, b);
        return a.DType == DType.Float32 ? Broadcast<K, float>(a, b, shape) : Broadcast<K, double>(a, b, shape);
    }

    private static NDArray Broadcast<K, T>(NDArray a, NDArray b, Shape shape) where K : IBinaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = NDArray.Empty<T>(shape);
        T[] ad = a.Array<T>(), bd = b.Array<T>(), yd = y.Array<T>();
        int rank = shape.Rank;
        int inner = rank == 0 ? 1 : shape[rank - 1];
        if (yd.Length == 0) return y;
        var sa = BroadcastStrides(a.Shape, shape);
        var sb = BroadcastStrides(b.Shape, shape);
        bool aRow = rank > 0 && sa[rank - 1] == 0, bRow = rank > 0 && sb[rank - 1] == 0;
        // PERF: broadcasting happens per row of the last axis; a side that is constant along it is
        // filled into a scratch row once per row so the same span kernel serves every pattern.
        T[]? fillA = aRow ? new T[inner] : null, fillB = bRow ? new T[inner] : null;
        var idx = new int[Math.Max(rank - 1, 0)];
        int offA = 0, offB = 0;
        for (int row = 0, rows = yd.Length / inner; row < rows; row++)
        {
            ReadOnlySpan<T> ra, rb;
            if (fillA is null) ra = ad.AsSpan(offA, inner); else { fillA.AsSpan().Fill(ad[offA]); ra = fillA; }
            if (fillB is null) rb = bd.AsSpan(offB, inner); else { fillB.AsSpan().Fill(bd[offB]); rb = fillB; }
            K.Apply(ra, rb, yd.AsSpan(row * inner, inner));
            // odometer over the leading axes
            for (int ax = rank - 2; ax >= 0; ax--)
            {
                idx[ax]++;
                offA += sa[ax];
                offB += sb[ax];
                if (idx[ax] < shape[ax]) break;
                offA -= sa[ax] * idx[ax];
                offB -= sb[ax] * idx[ax];
                idx[ax] = 0;
            }
        }
        return y;
    }

    /// <summary>Strides of <paramref name="from"/> read as the broadcast shape <paramref name="to"/> (0 on broadcast axes).</summary>
    internal static int[] BroadcastStrides(Shape from, Shape to)
    {
        var s = new int[to.Rank];
        var own = from.Strides();
        int lead = to.Rank - from.Rank;
        for (int i = 0; i < from.Rank; i++) s[lead + i] = from[i] == 1 && to[lead + i] != 1 ? 0 : own[i];
        return s;
    }
}
