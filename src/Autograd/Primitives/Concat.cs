namespace Autograd;

public static partial class Ops
{
    /// <summary>Joins tensors along an existing axis; all other axes must agree. Derivative: g sliced back into pieces.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> xs, int axis = 0)
    {
        if (xs.Count == 0) throw new ArgumentException("Concat: at least one tensor is required.");
        var first = xs[0];
        if (first.Rank == 0) throw new ShapeMismatchException("Concat: scalars cannot be concatenated; use Stack.");
        int a = first.Shape.Axis(axis, "Concat");
        var dtype = xs.Select(x => x.DType).Aggregate(DTypeExtensions.Promote);
        int total = 0;
        for (int i = 0; i < xs.Count; i++)
        {
            var s = xs[i].Shape;
            bool fits = s.Rank == first.Rank;
            for (int d = 0; fits && d < s.Rank; d++) fits = d == a || s[d] == first.Shape[d];
            if (!fits)
                throw new ShapeMismatchException($"Concat: tensor {i} has shape {s}, which does not match tensor 0's shape {first.Shape} on every axis but {a}.");
            total += s[a];
        }
        var inputs = xs.Select(x => Cast(x, dtype)).ToArray();
        var value = Layout.Concat(inputs.Select(x => x.Value).ToArray(), a, first.Shape.WithAxis(a, total));
        return new ConcatOp(a).Record(value, inputs);
    }

    /// <summary>Joins tensors along an existing axis.</summary>
    public static Tensor Concat(int axis, params Tensor[] xs) => Concat(xs, axis);
}

internal sealed class ConcatOp(int axis) : Primitive
{
    public override string Name => "concat";
    public override string Attributes => $"axis={axis}";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy)
    {
        var gs = new NDArray?[y.InputCount];
        int at = 0;
        for (int i = 0; i < gs.Length; i++)
        {
            int size = y.Input(i).Shape[axis];
            gs[i] = Layout.Slice(gy, axis, at, size, 1);
            at += size;
        }
        return gs;
    }
}
