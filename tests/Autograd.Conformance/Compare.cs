using System.Globalization;

namespace Autograd.Conformance;

/// <summary>The worst element of a tensor that is out of tolerance.</summary>
public sealed record Mismatch(string Tensor, string Detail);

/// <summary>Elementwise comparison of computed against golden values.</summary>
public static class Compare
{
    /// <summary>Null when every element of <paramref name="actual"/> is within tolerance of <paramref name="expected"/>,
    /// else the worst element (largest error relative to its bound) with both values and the bound.</summary>
    public static Mismatch? Tensors(string name, GoldenTensor? actual, GoldenTensor expected, Tolerance tol)
    {
        if (actual is null) return new(name, "not computed");
        if (!actual.Shape.SequenceEqual(expected.Shape))
            return new(name, $"shape {actual.ShapeText}, expected {expected.ShapeText}");

        int worst = -1;
        double worstRatio = 1;
        for (int i = 0; i < expected.Data.Length; i++)
        {
            double a = actual.Data[i], e = expected.Data[i];
            double bound = tol.Bound(e), err = Math.Abs(a - e);
            if (err <= bound) continue;
            // NaN compares false above, so it lands here; it is the worst possible element.
            double ratio = double.IsNaN(err) ? double.PositiveInfinity : err / bound;
            if (worst < 0 || ratio > worstRatio) { worst = i; worstRatio = ratio; }
        }
        if (worst < 0) return null;
        int bad = expected.Data.Select((e, i) => Math.Abs(actual.Data[i] - e) <= tol.Bound(e) ? 0 : 1).Sum();
        return new(name, Describe(worst, expected.Shape, actual.Data[worst], expected.Data[worst], tol, bad, expected.Data.Length));
    }

    /// <summary>Null when the loss is within tolerance, else the mismatch.</summary>
    public static Mismatch? Scalar(string name, double actual, double expected, Tolerance tol) =>
        Math.Abs(actual - expected) <= tol.Bound(expected)
            ? null
            : new(name, Describe(0, [], actual, expected, tol, 1, 1));

    /// <summary>Every mismatch of a case: outputs, loss.value, then grads, in the golden file's order.</summary>
    public static List<Mismatch> Case(GoldenCase golden, Evaluation computed)
    {
        var tol = golden.Tolerance;
        var result = new List<Mismatch>();
        foreach (var (name, expected) in golden.Outputs)
            Add(result, Tensors($"outputs.{name}", computed.Outputs.GetValueOrDefault(name), expected, tol));
        Add(result, Scalar("loss", computed.Loss, golden.LossValue, tol));
        foreach (var (name, expected) in golden.Grads)
            Add(result, Tensors($"grads.{name}", computed.Grads.GetValueOrDefault(name), expected, tol));
        return result;
    }

    /// <summary>Row-major flat index to a multi-index, e.g. 5 in [2, 3] → [1, 2].</summary>
    public static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return index;
    }

    private static string Describe(int flat, int[] shape, double actual, double expected, Tolerance tol, int bad, int total) =>
        string.Create(CultureInfo.InvariantCulture,
            $"worst at [{string.Join(", ", Unravel(flat, shape))}] (flat {flat}): actual {actual:R}, expected {expected:R}, |diff| {Math.Abs(actual - expected):E3} > tol {tol.Bound(expected):E3} (atol {tol.Atol:R} + rtol {tol.Rtol:R}*|expected|); {bad} of {total} elements out of tolerance");

    private static void Add(List<Mismatch> list, Mismatch? m)
    {
        if (m is not null) list.Add(m);
    }
}
