using System.Buffers;
using System.Numerics.Tensors;
using Autograd.Tensors;

namespace Autograd;

/// <summary>The reverse sweep. All state is local to one call: the same graph can be swept twice, or from two
/// threads at once, with identical results.</summary>
internal static class Backward
{
    private struct Cotangent
    {
        public NDArray? Value;
        public bool Owned;  // allocated by this sweep, so it may be accumulated into in place
        public bool Target; // a wrt node: keeps its cotangent to the end
    }

    /// <summary>d⟨seed, y⟩ / d wrt for each node in <paramref name="wrt"/>; zeros where y does not depend on it.
    /// <paramref name="last"/>: the caller drops the graph after this sweep (<see cref="Ad.ValueAndGrad{P}"/>), so each
    /// node's kept arrays (<see cref="Primitive.Kept"/>) go back to the pool as soon as its rule has run.
    /// <paramref name="denseRangeLimit"/>: see <see cref="NodeTable.Collect"/>.</summary>
    public static NDArray[] Run(Tensor y, NDArray seed, IReadOnlyList<Tensor> wrt, bool last = false, long denseRangeLimit = NodeTable.DenseRangeLimit)
    {
        if (!seed.Shape.Equals(y.Shape))
            throw new ShapeMismatchException($"Backward: the cotangent has shape {seed.Shape} but the output has shape {y.Shape}.");
        seed = seed.Cast(y.DType);
        long minId = long.MaxValue;
        foreach (var w in wrt) minId = Math.Min(minId, w.Id);
        var result = new NDArray[wrt.Count];
        if (minId <= y.Id)
        {
            // Only nodes created after the earliest wrt can lie on a path from y to it.
            using var table = NodeTable.Collect(y, minId, denseRangeLimit);
            var cot = ArrayPool<Cotangent>.Shared.Rent(table.Length);
            try
            {
                cot.AsSpan(0, table.Length).Clear();
                Sweep(table, cot, y, seed, wrt, minId, last);
                for (int i = 0; i < wrt.Count; i++)
                    result[i] = table.Slot(wrt[i]) is int s and >= 0 ? cot[s].Value! : null!;
            }
            finally
            {
                ArrayPool<Cotangent>.Shared.Return(cot, clearArray: true);
            }
        }
        for (int i = 0; i < wrt.Count; i++) result[i] ??= NDArray.Zeros(wrt[i].Shape, wrt[i].DType);
        return result;
    }

    private static void Sweep(NodeTable table, Cotangent[] cot, Tensor y, NDArray seed, IReadOnlyList<Tensor> wrt, long minId, bool last)
    {
        foreach (var w in wrt)
            if (table.Slot(w) is int s and >= 0) cot[s].Target = true;
        cot[table.Slot(y)].Value = seed;
        NDArray?[] owned = new NDArray?[4];
        for (int k = table.Length - 1; k >= 0; k--)
        {
            var node = table.Nodes[k];
            if (node?.Op is null || cot[k].Value is not { } g) continue;
            // A wrt node keeps its cotangent; any other is released as soon as it has been propagated.
            if (!cot[k].Target) cot[k].Value = null;
            int count = node.InputCount;
            // The sweep's own buffer, dropped once propagated: a rule may write an input's cotangent over it.
            bool donated = cot[k].Owned && !cot[k].Target;
            if (node.Op is IAccumulatingVjp sparse)
            {
                // PERF: a slice's cotangent is zero outside the slice; adding it into one buffer per input keeps T
                // slices of a [T, ...] sequence O(T), where materializing each full cotangent would be O(T²).
                var input = node.Input(0);
                if (input.Id < minId) continue;
                ref var acc = ref cot[table.Slot(input)];
                // The first contribution is the full cotangent, a fresh array this sweep then owns; later ones add in.
                if (acc.Value is null) (acc.Value, acc.Owned) = (node.Op.Vjp(node, g.Cast(input.DType))[0]!, true);
                else
                {
                    Own(ref acc);
                    sparse.AccumulateVjp(node, g.Cast(input.DType), acc.Value!);
                }
                if (donated && !ReferenceEquals(acc.Value!.Data, g.Data)) Recycled.Return(g.Data);
                continue;
            }
            NDArray?[] gs;
            var buffered = node.Op as BufferedPrimitive;
            bool fresh = buffered is not null; // its rule promises fresh arrays
            if (buffered is not null)
            {
                if (owned.Length < count) owned = new NDArray?[count];
                for (int i = 0; i < count; i++)
                    owned[i] = node.Input(i) is var input && input.Id >= minId && cot[table.Slot(input)] is { Owned: true } c ? c.Value : null;
                gs = buffered.Vjp(node, g, owned, donated);
            }
            else gs = node.Op.Vjp(node, g);
            // PERF: W3's 80 MB of gate activations come back now, for the next call, not after a gen-2 collection.
            if (last) node.Op.Kept?.Release();
            for (int i = 0; i < count; i++)
            {
                var gi = gs[i];
                var input = node.Input(i);
                if (gi is null || input.Id < minId) continue;
                ref var acc = ref cot[table.Slot(input)];
                if (acc.Owned && ReferenceEquals(gi, acc.Value)) continue; // the rule added into the buffer itself
                if (!gi.Shape.Equals(input.Shape))
                    throw new InvalidOperationException($"Backward: the rule of '{node.Op}' returned a cotangent of shape {gi.Shape} for input {i} of shape {input.Shape}.");
                // The sweep owns a cotangent no one else can see: a new array from a rule that promises fresh results,
                // or the donated gy, provided no other input of this node receives the same elements.
                bool own = (ReferenceEquals(gi.Data, g.Data) ? donated : fresh) && !Holds(gs, gi.Data, i);
                if (gi.DType != input.DType) (gi, own) = (gi.Cast(input.DType), true);
                if (acc.Value is null) (acc.Value, acc.Owned) = (gi, own);
                else Accumulate(ref acc, gi, own);
            }
            // PERF: g is dead now unless an input took it over. A user's rule (CustomVjp) may have kept it; ours do not.
            if (donated && node.Op is not CustomVjpOp && !Holds(gs, g.Data)) Recycled.Return(g.Data);
        }
    }

    // True when an entry of gs other than gs[except] holds the elements `data` (the same array, or a reshape of it).
    private static bool Holds(NDArray?[] gs, Array data, int except = -1)
    {
        for (int j = 0; j < gs.Length; j++)
            if (j != except && gs[j] is { } other && ReferenceEquals(other.Data, data)) return true;
        return false;
    }

    private static void Own(ref Cotangent acc)
    {
        if (acc.Owned) return;
        var copy = NDArray.Empty(acc.Value!.Shape, acc.Value.DType);
        Array.Copy(acc.Value.Data, copy.Data, copy.Size);
        acc.Value = copy;
        acc.Owned = true;
    }

    private static void Accumulate(ref Cotangent acc, NDArray g, bool gOwned)
    {
        // PERF: fan-out sums in place into a buffer this sweep owns (the running sum, else the new cotangent);
        // only when it owns neither is a new array allocated.
        var old = acc.Value!;
        var sum = acc.Owned ? old : gOwned ? g : NDArray.Empty(old.Shape, old.DType);
        if (sum.DType == DType.Float32) TensorPrimitives.Add(old.Array<float>(), g.Array<float>(), sum.Array<float>());
        else TensorPrimitives.Add(old.Array<double>(), g.Array<double>(), sum.Array<double>());
        acc.Value = sum;
        acc.Owned = true;
    }
}

/// <summary>A single-input primitive whose cotangent is sparse (zero outside a slice): after the first contribution, for
/// which the sweep takes <see cref="Primitive.Vjp"/>'s full cotangent (a fresh array it then owns), it adds its part into
/// that buffer, shaped and typed like the input, instead of returning another full cotangent.</summary>
internal interface IAccumulatingVjp
{
    void AccumulateVjp(Tensor y, NDArray gy, NDArray into);
}

/// <summary>A primitive whose rule works with the sweep's buffers: it can add an input's cotangent straight into the
/// running sum the sweep already owns for that input (a weight shared by the T steps of an unroll), and write one
/// input's cotangent over gy when the sweep donates it, instead of returning new arrays.</summary>
internal abstract class BufferedPrimitive(Residuals? kept = null) : Primitive(kept)
{
    /// <summary>The rule with no buffers to work with (called outside the sweep).</summary>
    internal sealed override NDArray?[] Vjp(Tensor y, NDArray gy) => Vjp(y, gy, new NDArray?[y.InputCount], gyOwned: false);

    /// <summary>As <see cref="Primitive.Vjp"/>; <paramref name="owned"/>[i], when not null, is the sweep's own buffer for
    /// input i (its shape and dtype): the rule may add input i's cotangent into it and return that same buffer at i.
    /// <paramref name="gyOwned"/>: gy is the sweep's own buffer, dropped after this call, so the rule may overwrite it.
    /// Every array returned must be owned[i], gy itself, or new (elements no one else holds): the sweep takes it over.</summary>
    internal abstract NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned);
}
