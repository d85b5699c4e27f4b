namespace Autograd;

public static partial class Ops
{
    /// <summary>The mean over <paramref name="axes"/> (null: all): Sum / count. No derivative code of its own.</summary>
    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDim = false)
    {
        var ax = ResolveAxes(x.Shape, axes, "Mean");
        int count = 1;
        foreach (var a in ax) count *= x.Shape[a];
        return Sum(x, ax, keepDim) * (1.0 / count);
    }

    /// <summary>The mean over one axis.</summary>
    public static Tensor Mean(Tensor x, int axis, bool keepDim = false) => Mean(x, [axis], keepDim);

    /// <summary>Mean squared error: mean((a − b)²) over all elements; a and b must have the same shape.</summary>
    public static Tensor Mse(Tensor a, Tensor b)
    {
        if (!a.Shape.Equals(b.Shape))
            throw new ShapeMismatchException($"Mse: prediction shape {a.Shape} and target shape {b.Shape} differ.");
        return Mean(Square(a - b));
    }

    /// <summary>x² elementwise.</summary>
    public static Tensor Square(Tensor x) => Pow(x, 2);
}
