namespace Autograd;

public static partial class Ops
{
    /// <summary>The same elements in another shape of equal size (one axis may be −1: inferred). Derivative: g reshaped back.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var s = InferShape(x.Shape, shape);
        return s.Equals(x.Shape) ? x : ReshapeOp.Instance.Record(x.Value.Reshape(s), x);
    }

    private static Shape InferShape(Shape from, int[] shape)
    {
        int infer = -1, known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: only one axis may be -1, got [{string.Join(", ", shape)}].");
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"Reshape: invalid axis size {shape[i]} in [{string.Join(", ", shape)}].");
            else known *= shape[i];
        }
        var dims = (int[])shape.Clone();
        if (infer >= 0)
        {
            if (known == 0 || from.Size % known != 0)
                throw new ShapeMismatchException($"Reshape: cannot reshape {from} ({from.Size} elements) into [{string.Join(", ", shape)}].");
            dims[infer] = from.Size / known;
        }
        var s = Shape.Of(dims);
        if (s.Size != from.Size)
            throw new ShapeMismatchException($"Reshape: cannot reshape {from} ({from.Size} elements) into {s} ({s.Size} elements).");
        return s;
    }
}

internal sealed class ReshapeOp : Primitive
{
    public static readonly ReshapeOp Instance = new();
    public override string Name => "reshape";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [gy.Reshape(y.Input(0).Shape)];
}
