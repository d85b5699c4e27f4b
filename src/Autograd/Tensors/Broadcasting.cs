using System.Numerics;

namespace Autograd.Tensors;

/// <summary>Broadcasting and its adjoint, in one place: every broadcasting op undoes it with <see cref="SumToShape"/>.</summary>
internal static class Broadcasting
{
    /// <summary>Materializes <paramref name="x"/> broadcast to <paramref name="shape"/>.</summary>
    public static NDArray BroadcastTo(NDArray x, Shape shape, string op = "BroadcastTo")
    {
        if (x.Shape.Equals(shape)) return x;
        var b = Shape.Broadcast(x.Shape, shape, op);
        if (!b.Equals(shape)) throw new ShapeMismatchException($"{op}: shape {x.Shape} cannot be broadcast to {shape}.");
        return x.DType == DType.Float32 ? BroadcastTo<float>(x, shape) : BroadcastTo<double>(x, shape);
    }

    private static NDArray BroadcastTo<T>(NDArray x, Shape shape) where T : unmanaged
    {
        var y = NDArray.Empty<T>(shape);
        Layout.Gather(x.Array<T>(), Kernels.BroadcastStrides(x.Shape, shape), shape, y.Array<T>());
        return y;
    }

    /// <summary>The adjoint of broadcasting: sums <paramref name="g"/> over the axes that were broadcast to reach its shape.</summary>
    public static NDArray SumToShape(NDArray g, Shape shape)
    {
        if (g.Shape.Equals(shape)) return g;
        int lead = g.Rank - shape.Rank;
        var axes = new List<int>();
        for (int i = 0; i < g.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && g.Shape[i] != 1)) axes.Add(i);
        return Reduce.Sum(g, [.. axes], keepDim: true).Reshape(shape);
    }
}
