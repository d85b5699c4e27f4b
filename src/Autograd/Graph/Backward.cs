using System.Numerics.Tensors;

namespace Autograd;

/// <summary>The reverse sweep. All state is local to one call: the same graph can be swept twice, or from two
/// threads at once, with identical results.</summary>
internal static class Backward
{
    private struct Cotangent
    {
        public NDArray Value;
        public bool Owned; // allocated by this sweep, so it may be accumulated into in place
    }

    /// <summary>d⟨seed, y⟩ / d wrt for each node in <paramref name="wrt"/>; zeros where y does not depend on it.</summary>
    public static NDArray[] Run(Tensor y, NDArray seed, IReadOnlyList<Tensor> wrt)
    {
        if (!seed.Shape.Equals(y.Shape))
            throw new ShapeMismatchException($"Backward: the cotangent has shape {seed.Shape} but the output has shape {y.Shape}.");
        seed = seed.Cast(y.DType);
        long minId = long.MaxValue;
        foreach (var w in wrt) minId = Math.Min(minId, w.Id);
        // Only nodes created after the earliest wrt can lie on a path from y to it.
        var nodes = Graph.Collect(y, minId);
        var cot = new Dictionary<Tensor, Cotangent>(nodes.Count, ReferenceEqualityComparer.Instance)
        {
            [y] = new Cotangent { Value = seed },
        };
        var targets = new HashSet<Tensor>(wrt, ReferenceEqualityComparer.Instance);
        for (int k = nodes.Count - 1; k >= 0; k--)
        {
            var node = nodes[k];
            if (node.Op is null || !cot.TryGetValue(node, out var g)) continue;
            // A wrt node keeps its cotangent; any other is released as soon as it has been propagated.
            if (!targets.Contains(node)) cot.Remove(node);
            var inputs = node.InputArray;
            if (node.Op is IAccumulatingVjp sparse)
            {
                // PERF: a slice's cotangent is zero outside the slice; adding it into one buffer per input keeps T
                // slices of a [T, ...] sequence O(T), where materializing each full cotangent would be O(T²).
                var input = inputs[0];
                if (input.Id < minId) continue;
                var buffer = cot.TryGetValue(input, out var acc) ? Own(acc) : new Cotangent { Value = NDArray.Zeros(input.Shape, input.DType), Owned = true };
                sparse.AccumulateVjp(node, g.Value.Cast(input.DType), buffer.Value);
                cot[input] = buffer;
                continue;
            }
            var gs = node.Op.Vjp(node, g.Value);
            for (int i = 0; i < inputs.Length; i++)
            {
                var gi = gs[i];
                var input = inputs[i];
                if (gi is null || input.Id < minId) continue;
                if (!gi.Shape.Equals(input.Shape))
                    throw new InvalidOperationException($"Backward: the rule of '{node.Op}' returned a cotangent of shape {gi.Shape} for input {i} of shape {input.Shape}.");
                if (gi.DType != input.DType) gi = gi.Cast(input.DType);
                if (!cot.TryGetValue(input, out var acc)) cot[input] = new Cotangent { Value = gi };
                else cot[input] = Accumulate(acc, gi);
            }
        }
        var result = new NDArray[wrt.Count];
        for (int i = 0; i < wrt.Count; i++)
            result[i] = cot.TryGetValue(wrt[i], out var g) ? g.Value : NDArray.Zeros(wrt[i].Shape, wrt[i].DType);
        return result;
    }

    private static Cotangent Own(Cotangent acc)
    {
        if (acc.Owned) return acc;
        var copy = NDArray.Empty(acc.Value.Shape, acc.Value.DType);
        Array.Copy(acc.Value.Data, copy.Data, copy.Size);
        return new Cotangent { Value = copy, Owned = true };
    }

    private static Cotangent Accumulate(Cotangent acc, NDArray g)
    {
        // PERF: fan-out sums in place into a buffer this sweep owns; a borrowed buffer is copied once first.
        var sum = acc.Owned ? acc.Value : NDArray.Empty(acc.Value.Shape, acc.Value.DType);
        if (sum.DType == DType.Float32) TensorPrimitives.Add(acc.Value.Array<float>(), g.Array<float>(), sum.Array<float>());
        else TensorPrimitives.Add(acc.Value.Array<double>(), g.Array<double>(), sum.Array<double>());
        return new Cotangent { Value = sum, Owned = true };
    }
}

/// <summary>A single-input primitive whose cotangent is sparse (zero outside a slice): instead of returning a full
/// cotangent from <see cref="Primitive.Vjp"/>, it adds its part into a buffer the sweep
/// owns, shaped and typed like the input.</summary>
internal interface IAccumulatingVjp
{
    void AccumulateVjp(Tensor y, NDArray gy, NDArray into);
}
