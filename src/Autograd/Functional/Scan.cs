using static Autograd.Ops;

namespace Autograd;

/// <summary>Options of <see cref="ScanExtensions.Scan{C}(Tensor, C, Func{C, Tensor, ValueTuple{C, Tensor}}, ScanOptions?)"/>.</summary>
/// <param name="Reverse">Iterate t = T−1..0 (the output of step t is still stored at position t), as the reverse
/// direction of a bidirectional RNN does.</param>
/// <param name="Mask">A [T, B] tensor of 0/1 (padding of variable-length sequences): where mask[t, b] = 0 the step
/// leaves row b of every carry tensor unchanged and emits zeros for it. Each carry tensor must have the batch on axis 0.</param>
/// <param name="Unroll">Record every step's operations on the graph, as the reference loop reads, instead of one
/// <c>scan</c> node that runs the traced step (see <see cref="ScanExtensions"/>). For looking at the unrolled graph.</param>
public sealed record ScanOptions(bool Reverse = false, Tensor? Mask = null, bool Unroll = false);

/// <summary>The result of a scan: the carry after the last step and the stacked per-step outputs [T, ...].</summary>
/// <typeparam name="C">The carry tree: a tensor, a tuple or a record of tensors (see <see cref="Tree"/>).</typeparam>
/// <param name="Final">The carry after the last step (the initial carry when the sequence is empty).</param>
/// <param name="Ys">The outputs y_t stacked along a new axis 0, y_t at position t.</param>
public sealed record ScanResult<C>(C Final, Tensor Ys);

/// <summary>
/// JAX's <c>lax.scan</c> for step functions written as plain tensor code:
/// <c>scan : (c → a → (c, b)) → c → [a] → (c, [b])</c>. The reference loop it is equal to:
/// <code>
/// c = init
/// for t in 0..T−1:          (T−1..0 when Reverse)
///     (c, ys[t]) = step(c, xs[t])
/// return (c, stack(ys))
/// </code>
/// <see cref="Ad"/> differentiates through it (back-propagation through time).
/// <para>Like JAX, it traces the step: <c>step</c> is called once, on the initial carry and x_0, and the operations
/// it records become a program that one <c>scan</c> node runs for all T steps, with its own buffers. A user's cell
/// then runs like a built-in layer: an affine map of x_t alone is one product over all steps, a weight's gradient
/// is one product after the loop, and only the values the derivative reads are kept. So the step must be a pure
/// function of its arguments (no side effects, no branching on values). A step using an operation outside
/// affine, matmul by a weight, add, sub, mul, neg, sigmoid, tanh, relu, exp and slices of the last axis, a masked scan, or
/// <see cref="ScanOptions.Unroll"/> records the unrolled loop instead, one step at a time; the reverse sweep is
/// iterative either way, so long sequences do not overflow the stack.</para>
/// </summary>
public static class ScanExtensions
{
    /// <summary>Scans <paramref name="step"/> over axis 0 of <paramref name="xs"/> [T, ...] (time-major) from
    /// <paramref name="init"/>: see the reference loop on <see cref="ScanExtensions"/>. For T = 0 the result is
    /// <paramref name="init"/> and an empty Ys of shape [0, ...y], y's shape found by calling <paramref name="step"/>
    /// once on zeros shaped like one element of xs (its results are otherwise discarded).</summary>
    public static ScanResult<C> Scan<C>(this Tensor xs, C init, Func<C, Tensor, (C Carry, Tensor Y)> step, ScanOptions? options = null)
    {
        if (xs.Rank == 0) throw new ShapeMismatchException($"Scan: xs must have a time axis 0, got a scalar of shape {xs.Shape}.");
        int steps = xs.Shape[0];
        if (steps == 0)
        {
            var probe = step(init, Tensor.Zeros(xs.Shape.RemoveAxis(0), xs.DType)).Y;
            return new ScanResult<C>(init, Tensor.Zeros(probe.Shape.InsertAxis(0, 0), probe.DType));
        }
        ValidateMask(options?.Mask, steps, xs.Rank > 1 ? xs.Shape[1] : null, $"xs of shape {xs.Shape}");
        options ??= new ScanOptions();
        if (options is { Mask: null, Unroll: false })
        {
            var (program, carry, y) = ScanProgram.Trace(xs, init, step, options.Reverse);
            if (program is null) return Run(steps, t => Index(xs, t), init, step, options, (carry, y));
            var (final, ys) = CompiledScanOp.Record(program, xs, Tree.Flatten(init), options.Reverse);
            return new ScanResult<C>(Tree.Rebuild(init, final), ys);
        }
        return Run(steps, t => Index(xs, t), init, step, options);
    }

    /// <summary>Scans <paramref name="step"/> over the list <paramref name="xs"/> from <paramref name="init"/>: see the
    /// reference loop on <see cref="ScanExtensions"/>. The elements may have different shapes if the step allows it;
    /// the outputs must all have one shape. For an empty list the result is <paramref name="init"/> and an empty Ys of
    /// shape [0] (the element shape is unknown, so <paramref name="step"/> is not called).</summary>
    public static ScanResult<C> Scan<C>(this IReadOnlyList<Tensor> xs, C init, Func<C, Tensor, (C Carry, Tensor Y)> step, ScanOptions? options = null)
    {
        if (xs.Count == 0) return new ScanResult<C>(init, Tensor.Zeros(Shape.Of(0), DType.Float32));
        ValidateMask(options?.Mask, xs.Count, xs[0].Rank > 0 ? xs[0].Shape[0] : null, $"{xs.Count} elements of shape {xs[0].Shape}");
        return Run(xs.Count, t => xs[t], init, step, options ?? new ScanOptions());
    }

    private static void ValidateMask(Tensor? mask, int steps, int? batch, string what)
    {
        if (mask is null) return;
        string expected = batch is { } b ? $"[{steps}, {b}]" : $"[{steps}, B] (the elements have no batch axis)";
        if (batch is null || mask.Rank != 2 || mask.Shape[0] != steps || mask.Shape[1] != batch)
            throw new ShapeMismatchException($"Scan: the mask must have shape [T, B] = {expected} for {what}, got shape {mask.Shape}.");
    }

    // `first`: the first step's results when the trace already computed them (the step is not called again for it).
    private static ScanResult<C> Run<C>(int steps, Func<int, Tensor> element, C init, Func<C, Tensor, (C Carry, Tensor Y)> step, ScanOptions options,
        (C Carry, Tensor Y)? first = null)
    {
        // The mask is data: its values select, they are never differentiated.
        var mask = options.Mask is null ? null : StopGradient(options.Mask);
        var ys = new Tensor[steps];
        var carry = init;
        for (int i = 0; i < steps; i++)
        {
            int t = options.Reverse ? steps - 1 - i : i;
            var (next, y) = i == 0 && first is { } done ? done : step(carry, element(t));
            if (mask is not null)
            {
                var m = Index(mask, t);
                next = Select(m, next, carry, t);
                y = Where(AsColumn(m, y, t, "output"), y, Tensor.ZerosLike(y));
            }
            if (i > 0 && !y.Shape.Equals(ys[options.Reverse ? t + 1 : t - 1].Shape))
                throw new ShapeMismatchException($"Scan: step {t} returned an output of shape {y.Shape}, but earlier steps returned {ys[options.Reverse ? t + 1 : t - 1].Shape}; every output must have one shape.");
            ys[t] = y;
            carry = next;
        }
        return new ScanResult<C>(carry, Stack(ys));
    }

    // Row b of each carry tensor from `next` where m[b] ≠ 0, from `old` where m[b] = 0.
    private static C Select<C>(Tensor m, C next, C old, int t)
    {
        var n = Tree.Flatten(next);
        var o = Tree.Flatten(old);
        if (n.Count != o.Count)
            throw new ArgumentException($"Scan: step {t} returned a carry with {n.Count} tensors for a carry of {o.Count}; the carry's structure must not change.");
        var picked = new Tensor[n.Count];
        for (int i = 0; i < n.Count; i++)
        {
            if (!n[i].Shape.Equals(o[i].Shape))
                throw new ShapeMismatchException($"Scan: step {t} changed carry tensor {i} from shape {o[i].Shape} to {n[i].Shape}; a masked scan needs a fixed carry shape.");
            picked[i] = Where(AsColumn(m, n[i], t, $"carry tensor {i}"), n[i], o[i]);
        }
        return Tree.Rebuild(next, picked);
    }

    // The mask row [B] as [B, 1, ...] so that it broadcasts over a [B, ...] tensor.
    private static Tensor AsColumn(Tensor m, Tensor like, int t, string what)
    {
        if (like.Rank == 0 || like.Shape[0] != m.Shape[0])
            throw new ShapeMismatchException($"Scan: a masked scan needs the batch (size {m.Shape[0]}) on axis 0 of the {what}, but at step {t} it has shape {like.Shape}.");
        var dims = new int[like.Rank];
        Array.Fill(dims, 1);
        dims[0] = m.Shape[0];
        return Reshape(m, dims);
    }
}
