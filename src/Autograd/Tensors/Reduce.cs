using System.Numerics;
using System.Numerics.Tensors;

namespace Autograd.Tensors;

/// <summary>Reductions along axes. An axis splits a shape into [outer, n, inner] lanes of n strided elements.</summary>
internal static class Reduce
{
    /// <summary>The lane decomposition of <paramref name="shape"/> around <paramref name="axis"/>.</summary>
    public static (int Outer, int N, int Inner) Lanes(Shape shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Rank; i++) inner *= shape[i];
        return (outer, shape[axis], inner);
    }

    /// <summary>Sums over <paramref name="axes"/> (already resolved, any order, no repeats).</summary>
    public static NDArray Sum(NDArray x, int[] axes, bool keepDim)
    {
        var sorted = axes.Distinct().OrderBy(a => a).ToArray();
        var outShape = x.Shape;
        for (int i = sorted.Length - 1; i >= 0; i--)
            outShape = keepDim ? outShape.WithAxis(sorted[i], 1) : outShape.RemoveAxis(sorted[i]);
        if (sorted.Length == 0) return x.Reshape(outShape);
        // PERF: merge runs of adjacent axes so each run is one lane reduction (all axes: one vector sum).
        var y = x;
        int end = sorted.Length - 1;
        while (end >= 0)
        {
            int start = end;
            while (start > 0 && sorted[start - 1] == sorted[start] - 1) start--;
            y = SumRun(y, sorted[start], sorted[end]);
            end = start - 1;
        }
        return y.Reshape(outShape);
    }

    // Sums axes first..last (adjacent) keeping them as size-1 axes.
    private static NDArray SumRun(NDArray x, int first, int last)
    {
        int outer = 1, n = 1, inner = 1;
        for (int i = 0; i < first; i++) outer *= x.Shape[i];
        for (int i = first; i <= last; i++) n *= x.Shape[i];
        for (int i = last + 1; i < x.Rank; i++) inner *= x.Shape[i];
        var shape = x.Shape;
        for (int i = first; i <= last; i++) shape = shape.WithAxis(i, 1);
        return x.DType == DType.Float32 ? SumLanes<float>(x, shape, outer, n, inner) : SumLanes<double>(x, shape, outer, n, inner);
    }

    private static NDArray SumLanes<T>(NDArray x, Shape shape, int outer, int n, int inner) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = NDArray.Zeros(shape, x.DType);
        T[] xd = x.Array<T>(), yd = y.Array<T>();
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1) { yd[o] = TensorPrimitives.Sum<T>(xd.AsSpan(o * n, n)); continue; }
            SumRows<T>(xd.AsSpan(o * n * inner, n * inner), n, yd.AsSpan(o * inner, inner));
        }
        return y;
    }

    /// <summary>Adds the <paramref name="rows"/> rows of a row-major block (row length = <paramref name="into"/>'s) into
    /// <paramref name="into"/>: the column sums, one vectorized pass per row.</summary>
    public static void SumRows<T>(ReadOnlySpan<T> block, int rows, Span<T> into) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = into.Length;
        for (int r = 0; r < rows; r++) TensorPrimitives.Add<T>(into, block.Slice(r * cols, cols), into);
    }

    /// <summary>The maximum along one axis (kept as size 1) and, for each lane, the index of its first maximum.
    /// NaN propagates: a lane containing NaN has NaN as its maximum.</summary>
    public static (NDArray Max, int[] ArgMax) Max(NDArray x, int axis)
    {
        var (outer, n, inner) = Lanes(x.Shape, axis);
        if (n == 0) throw new ArgumentException($"Max: cannot reduce axis {axis} of size 0 (shape {x.Shape}).");
        return x.DType == DType.Float32 ? MaxLanes<float>(x, axis, outer, n, inner) : MaxLanes<double>(x, axis, outer, n, inner);
    }

    private static (NDArray, int[]) MaxLanes<T>(NDArray x, int axis, int outer, int n, int inner) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = NDArray.Empty<T>(x.Shape.WithAxis(axis, 1));
        T[] xd = x.Array<T>(), yd = y.Array<T>();
        var arg = new int[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0, baseIx = o * n * inner + i;
                T m = xd[baseIx];
                for (int j = 1; j < n && !T.IsNaN(m); j++)
                {
                    T v = xd[baseIx + j * inner];
                    if (v > m || T.IsNaN(v)) { m = v; best = j; }
                }
                yd[o * inner + i] = m;
                arg[o * inner + i] = best;
            }
        return (y, arg);
    }
}
