using System.Numerics;
using System.Numerics.Tensors;

namespace Autograd.Tensors;

/// <summary>Kernels that move elements without arithmetic (permute, concat, slice, gather) and their adjoints.</summary>
internal static class Layout
{
    /// <summary>y[i_perm[0], ..] = x[i_0, ..]: axis k of the result is axis perm[k] of x.</summary>
    public static NDArray Permute(NDArray x, int[] perm)
    {
        var dims = new int[x.Rank];
        for (int k = 0; k < perm.Length; k++) dims[k] = x.Shape[perm[k]];
        var shape = Shape.Of(dims);
        return x.DType == DType.Float32 ? Permute<float>(x, perm, shape) : Permute<double>(x, perm, shape);
    }

    private static NDArray Permute<T>(NDArray x, int[] perm, Shape shape) where T : unmanaged
    {
        var xs = x.Shape.Strides();
        var s = new int[perm.Length];
        for (int k = 0; k < perm.Length; k++) s[k] = xs[perm[k]];
        var y = NDArray.Empty<T>(shape);
        Gather(x.Array<T>(), s, shape, y.Array<T>());
        return y;
    }

    /// <summary>y (row-major, shaped <paramref name="shape"/>) = src read with <paramref name="strides"/>: the one strided
    /// walk behind permuting (permuted strides) and broadcasting (stride 0 on broadcast axes).</summary>
    public static void Gather<T>(T[] src, int[] strides, Shape shape, T[] y)
    {
        if (y.Length == 0) return;
        // PERF: the innermost axes that src reads contiguously (stride 1, then each the size of the axes after it) or
        // not at all (stride 0) are one run, copied or filled as a block: broadcasting a loss's scalar cotangent to
        // W3's [100, 64, 512] outputs element by element took 1% of W3.
        int rank = shape.Rank, inner = rank, run = 1;
        bool fill = rank > 0 && strides[rank - 1] == 0;
        while (inner > 0 && strides[inner - 1] == (fill ? 0 : run)) run *= shape[--inner];
        var idx = new int[inner];
        int off = 0;
        for (int at = 0; at < y.Length; at += run)
        {
            if (fill) y.AsSpan(at, run).Fill(src[off]);
            else if (run == 1) y[at] = src[off];
            else src.AsSpan(off, run).CopyTo(y.AsSpan(at, run));
            for (int ax = inner - 1; ax >= 0; ax--)
            {
                idx[ax]++;
                off += strides[ax];
                if (idx[ax] < shape[ax]) break;
                off -= strides[ax] * idx[ax];
                idx[ax] = 0;
            }
        }
    }

    /// <summary>Concatenates arrays of one dtype along <paramref name="axis"/> (shapes already checked).</summary>
    public static NDArray Concat(IReadOnlyList<NDArray> xs, int axis, Shape shape)
    {
        var y = NDArray.Empty(shape, xs[0].DType);
        var (outer, _, inner) = Reduce.Lanes(shape, axis);
        int rowOut = shape[axis] * inner, at = 0;
        foreach (var x in xs)
        {
            int block = x.Shape[axis] * inner;
            for (int o = 0; o < outer; o++) Array.Copy(x.Data, o * block, y.Data, o * rowOut + at, block);
            at += block;
        }
        return y;
    }

    /// <summary>x[start:stop:step] along <paramref name="axis"/> (bounds already checked).</summary>
    public static NDArray Slice(NDArray x, int axis, int start, int count, int step)
    {
        var y = NDArray.Empty(x.Shape.WithAxis(axis, count), x.DType);
        var (outer, n, inner) = Reduce.Lanes(x.Shape, axis);
        for (int o = 0; o < outer; o++)
        {
            if (step == 1) { Array.Copy(x.Data, (o * n + start) * inner, y.Data, o * count * inner, count * inner); continue; }
            for (int j = 0; j < count; j++)
                Array.Copy(x.Data, (o * n + start + j * step) * inner, y.Data, (o * count + j) * inner, inner);
        }
        return y;
    }

    /// <summary>The adjoint of <see cref="Slice"/>: g placed into zeros of <paramref name="shape"/>.</summary>
    public static NDArray Unslice(NDArray g, Shape shape, int axis, int start, int step)
    {
        // PERF: every element is written once, copied or cleared, rather than zeroing the whole array and then copying
        // the slice over most of it (a recurrent layer's outputs are T of its T + 1 rows).
        var y = NDArray.Empty(shape, g.DType);
        var (outer, n, inner) = Reduce.Lanes(shape, axis);
        int count = g.Shape[axis];
        for (int o = 0; o < outer; o++)
        {
            if (step == 1)
            {
                // PERF: a unit-step slice is one block per outer index (a gate's columns of a [B, 4H] row): three block
                // moves, not one call per element when inner = 1.
                int row = o * n * inner, before = start * inner, block = count * inner;
                Array.Clear(y.Data, row, before);
                Array.Copy(g.Data, o * block, y.Data, row + before, block);
                Array.Clear(y.Data, row + before + block, (n - start - count) * inner);
                continue;
            }
            for (int k = 0; k < n; k++)
            {
                int j = (k - start) / step;
                if (k >= start && (k - start) % step == 0 && j < count)
                    Array.Copy(g.Data, (o * count + j) * inner, y.Data, (o * n + k) * inner, inner);
                else Array.Clear(y.Data, (o * n + k) * inner, inner);
            }
        }
        return y;
    }

    /// <summary>Adds g into the slice of <paramref name="into"/> it was cut from (the in-place form of <see cref="Unslice"/>;
    /// <paramref name="into"/> must be a buffer its caller owns).</summary>
    public static void UnsliceAdd(NDArray g, NDArray into, int axis, int start, int step)
    {
        if (g.DType == DType.Float32) UnsliceAdd<float>(g, into, axis, start, step);
        else UnsliceAdd<double>(g, into, axis, start, step);
    }

    private static void UnsliceAdd<T>(NDArray g, NDArray into, int axis, int start, int step) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, n, inner) = Reduce.Lanes(into.Shape, axis);
        int count = g.Shape[axis];
        T[] gd = g.Array<T>(), yd = into.Array<T>();
        for (int o = 0; o < outer; o++)
        {
            if (step == 1)
            {
                var block = yd.AsSpan((o * n + start) * inner, count * inner);
                TensorPrimitives.Add<T>(block, gd.AsSpan(o * count * inner, count * inner), block);
                continue;
            }
            for (int j = 0; j < count; j++)
            {
                var dst = yd.AsSpan((o * n + start + j * step) * inner, inner);
                TensorPrimitives.Add<T>(dst, gd.AsSpan((o * count + j) * inner, inner), dst);
            }
        }
    }

    /// <summary>y[i, ...] = table[indices[i], ...] (indices already checked).</summary>
    public static NDArray GatherRows(NDArray table, int[] indices, Shape shape)
    {
        var y = NDArray.Empty(shape, table.DType);
        int row = table.Rank == 0 ? 1 : table.Size / table.Shape[0];
        for (int i = 0; i < indices.Length; i++) Array.Copy(table.Data, indices[i] * row, y.Data, i * row, row);
        return y;
    }

    /// <summary>The adjoint of <see cref="GatherRows"/>: rows of g added into zeros of <paramref name="shape"/>; repeated indices accumulate.</summary>
    public static NDArray ScatterAddRows(NDArray g, int[] indices, Shape shape) =>
        g.DType == DType.Float32 ? ScatterAddRows<float>(g, indices, shape) : ScatterAddRows<double>(g, indices, shape);

    private static NDArray ScatterAddRows<T>(NDArray g, int[] indices, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = NDArray.Zeros(shape, g.DType);
        T[] gd = g.Array<T>(), yd = y.Array<T>();
        int row = shape.Size / Math.Max(shape[0], 1);
        for (int i = 0; i < indices.Length; i++)
        {
            var dst = yd.AsSpan(indices[i] * row, row);
            TensorPrimitives.Add<T>(dst, gd.AsSpan(i * row, row), dst);
        }
        return y;
    }
}
