using System.Buffers;

namespace Autograd;

public static partial class Ops
{
    /// <summary>
    /// One direction of an LSTM layer over a whole sequence as one node (cuDNN-style), from the input side already
    /// projected for all steps, xp = x W_ihᵀ + b_ih [T, B, 4H] (one <see cref="Affine"/> by the caller):
    /// <code>
    /// a_t = xp_t + h_{t−1} W_hhᵀ + b_hh     [i, f, g, o] = [σ, σ, tanh, σ](a_t)
    /// c_t = f ⊙ c_{t−1} + i ⊙ g             h_t = o ⊙ tanh(c_t)
    /// </code>
    /// for t = 0..T−1 from (h0, c0) [B, H], or t = T−1..0 when <paramref name="reverse"/> (h_t still stored at
    /// position t, PyTorch's layout). Equals scanning <see cref="Nn.LstmCell.StepProjected"/> over xp.
    /// Derivative (reverse sweep over the steps): g_a_t from <see cref="LstmGates(Tensor, Tensor?, Tensor)"/>'s rule with
    /// g_h_t = g_out_t + g_a_{t+1} W_hh; then g_xp = g_a (all steps), g_W_hh = Σ_t g_a_tᵀ h_{t−1} (one GEMM over T·B
    /// rows), g_b_hh = Σ_{t,b} g_a_t, g_h0 = g_a_0 W_hh, g_c0 = the carried cell cotangent.
    /// A primitive for speed: the scan records about six nodes and as many buffers per step; this records one node,
    /// keeps the gate activations [T, B, 4H] and cell states it needs, and multiplies W_hh's cached packed panels.
    /// </summary>
    /// <returns>The outputs h_t [T, B, H], and the final states h and c [B, H] (after the last step processed).</returns>
    public static (Tensor Output, Tensor H, Tensor C) LstmSequence(Tensor xProjected, Tensor h0, Tensor c0, Tensor weightHh,
        Tensor? biasHh = null, bool reverse = false)
    {
        int hidden = h0.Rank == 2 ? h0.Shape[1] : -1;
        if (xProjected.Rank != 3 || h0.Rank != 2 || !c0.Shape.Equals(h0.Shape) || xProjected.Shape[1] != h0.Shape[0]
            || xProjected.Shape[2] != 4 * hidden || weightHh.Rank != 2 || weightHh.Shape[0] != 4 * hidden || weightHh.Shape[1] != hidden
            || (biasHh is not null && (biasHh.Rank != 1 || biasHh.Shape[0] != 4 * hidden)))
            throw new ShapeMismatchException($"LstmSequence: xProjected {xProjected.Shape}, h0 {h0.Shape}, c0 {c0.Shape}, W_hh {weightHh.Shape}" +
                $"{(biasHh is null ? "" : $", b_hh {biasHh.Shape}")} do not fit: expected [T, B, 4H], [B, H], [B, H], [4H, H], [4H].");
        var dtype = DTypeExtensions.Promote(DTypeExtensions.Promote(xProjected.DType, h0.DType), DTypeExtensions.Promote(c0.DType, weightHh.DType));
        if (biasHh is not null) dtype = DTypeExtensions.Promote(dtype, biasHh.DType);
        int steps = xProjected.Shape[0];
        if (steps == 0) return (Tensor.Zeros(Shape.Of(0, h0.Shape[0], hidden), dtype), Cast(h0, dtype), Cast(c0, dtype));
        xProjected = Cast(xProjected, dtype);
        h0 = Cast(h0, dtype);
        c0 = Cast(c0, dtype);
        weightHh = Cast(weightHh, dtype);
        biasHh = biasHh is null ? null : Cast(biasHh, dtype);
        var op = new LstmSequenceOp(reverse);
        var y = dtype == DType.Float32
            ? op.Forward<float>(xProjected.Value, h0.Value, c0.Value, weightHh.Value, biasHh?.Value)
            : op.Forward<double>(xProjected.Value, h0.Value, c0.Value, weightHh.Value, biasHh?.Value);
        var node = biasHh is null ? op.Record(y, xProjected, h0, c0, weightHh) : op.Record(y, xProjected, h0, c0, weightHh, biasHh);
        // The node's value is [h_0 .. h_{T−1}; c_final] [T+1, B, H]; the pieces are slices of it.
        return (Slice(node, 0, 0, steps), Index(node, reverse ? 0 : steps - 1), Index(node, steps));
    }
}

/// <summary>One node per direction and layer, inputs (xp, h0, c0, W_hh[, b_hh]), value [T+1, B, H] = outputs then the
/// final cell state. It keeps, per processed step s, the activations [i, f, g, o] and the cell state before it; its rule
/// recomputes tanh c_t from the saved c_t (the cell state before step s+1, or the final one in the value).</summary>
internal sealed class LstmSequenceOp(bool reverse) : Primitive, IVjpInto
{
    // PERF: 4H rather than 5H per step (tanh c is recomputed in the rule, one tanh per element): a fifth less saved data.
    private NDArray _act = null!;   // [T, B, 4H], processing order
    private NDArray _cells = null!; // [T, B, H]: c before step s, processing order

    public override string Name => "lstm_sequence";
    public override string Attributes => reverse ? "reverse" : "";

    internal NDArray Forward<T>(NDArray xp, NDArray h0, NDArray c0, NDArray w, NDArray? bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = xp.Shape[0], b = h0.Shape[0], h = h0.Shape[1], g = 4 * h;
        var y = NDArray.Empty<T>(Shape.Of(steps + 1, b, h));
        _act = NDArray.Empty<T>(Shape.Of(steps, b, g));
        _cells = NDArray.Empty<T>(Shape.Of(steps, b, h));
        T[] x = xp.Array<T>(), wd = w.Array<T>(), yd = y.Array<T>(), act = _act.Array<T>(), cs = _cells.Array<T>();
        T[]? bd = bias?.Array<T>();
        T[] hPrev = h0.Array<T>();
        int hOff = 0;
        // PERF: one pooled [B, 4H] buffer holds h W_hhᵀ + b_hh for every step; gates, h and c go straight to their
        // final place (c_t is the next step's saved c_{t−1}).
        var hid = ArrayPool<T>.Shared.Rent(b * g);
        try
        {
            c0.Array<T>().AsSpan(0, b * h).CopyTo(cs);
            for (int s = 0; s < steps; s++)
            {
                int t = reverse ? steps - 1 - s : s;
                int cNext = s < steps - 1 ? (s + 1) * b * h : -1;
                T[] cTo = cNext >= 0 ? cs : yd;
                int cToOff = cNext >= 0 ? cNext : steps * b * h;
                StepRows.Run(b, (long)b * g * h, (r0, r1) =>
                {
                    if (bd is not null)
                        for (int r = r0; r < r1; r++) bd.AsSpan().CopyTo(hid.AsSpan(r * g, g));
                    Gemm.Multiply(false, true, r1 - r0, g, h, hPrev, hOff + r0 * h, wd, 0, hid, r0 * g, accumulate: bd is not null,
                        cacheB: true, parallel: false);
                    for (int r = r0; r < r1; r++)
                        LstmGatesOp.ForwardRow<T>(x.AsSpan((t * b + r) * g, g), hid.AsSpan(r * g, g), cs.AsSpan((s * b + r) * h, h),
                            act.AsSpan((s * b + r) * g, g), yd.AsSpan((t * b + r) * h, h), cTo.AsSpan(cToOff + r * h, h));
                });
                (hPrev, hOff) = (yd, t * b * h);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(hid);
        }
        return y;
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => Vjp(y, gy, new NDArray?[y.InputArray.Length]);

    // PERF: g_W_hh may be added straight into the sweep's running sum for a weight used by several nodes.
    public NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned) =>
        gy.DType == DType.Float32 ? Vjp<float>(y, gy, owned) : Vjp<double>(y, gy, owned);

    private NDArray?[] Vjp<T>(Tensor y, NDArray gy, NDArray?[] owned) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var inputs = y.InputArray;
        NDArray h0 = inputs[1].Value, w = inputs[3].Value;
        int steps = inputs[0].Shape[0], b = h0.Shape[0], h = h0.Shape[1], g = 4 * h, bh = b * h;
        var ga = NDArray.Empty<T>(Shape.Of(steps, b, g));
        var gh0 = NDArray.Zeros(h0.Shape, h0.DType);   // g_a_{s+1} W_hh, the cotangent flowing into h before step s+1
        var gc0 = NDArray.Empty<T>(h0.Shape);          // the carried cell cotangent, finally g_c0
        T[] gyd = gy.Array<T>(), gad = ga.Array<T>(), wd = w.Array<T>(), dh = gh0.Array<T>(), dc = gc0.Array<T>(),
            act = _act.Array<T>(), cs = _cells.Array<T>(), yd = y.Value.Array<T>();
        gyd.AsSpan(steps * bh, bh).CopyTo(dc);
        var gh = ArrayPool<T>.Shared.Rent(bh);
        var tc = ArrayPool<T>.Shared.Rent(bh);
        try
        {
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = reverse ? steps - 1 - s : s;
                // c_t, the cell state after step s: saved as the state before step s+1, or the final one in the value
                // (row by row, exactly as the forward rounded it)
                T[] cNew = s < steps - 1 ? cs : yd;
                int cNewOff = s < steps - 1 ? (s + 1) * bh : steps * bh;
                StepRows.Run(b, (long)b * g * h, (r0, r1) =>
                {
                    int rh = r0 * h, nh = (r1 - r0) * h;
                    TensorPrimitives.Add(gyd.AsSpan(t * bh + rh, nh), dh.AsSpan(rh, nh), gh.AsSpan(rh, nh));
                    for (int r = r0; r < r1; r++)
                        Activation.Tanh<T>(cNew.AsSpan(cNewOff + r * h, h), tc.AsSpan(r * h, h));
                    for (int r = r0; r < r1; r++)
                        LstmGatesOp.Backward<T>(act.AsSpan((s * b + r) * g, g), tc.AsSpan(r * h, h), cs.AsSpan((s * b + r) * h, h), gh.AsSpan(r * h, h),
                            dc.AsSpan(r * h, h), gad.AsSpan((t * b + r) * g, g), dc.AsSpan(r * h, h));
                    Gemm.Multiply(false, false, r1 - r0, h, g, gad, (t * b + r0) * g, wd, 0, dh, rh, accumulate: false, cacheB: true, parallel: false);
                });
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(gh);
            ArrayPool<T>.Shared.Return(tc);
        }
        var gw = HiddenWeightGradient<T>(gad, steps, b, y.Value, h0, w, owned[3], reverse);
        if (inputs.Length == 4) return [ga, gh0, gc0, gw];
        return [ga, gh0, gc0, gw, Reduce.Sum(ga.Reshape(Shape.Of(steps * b, g)), [0], keepDim: false)];
    }

    /// <summary>g_W = Σ_t g_a_tᵀ h_{t−1} [G·H, H] from the gate cotangents [T, B, G·H] (time order, in a buffer at least
    /// that long) and the outputs [T(+1), B, H]: h_{t−1} of all steps but the first processed are the outputs shifted by one, so that part is one
    /// GEMM over (T−1)·B rows, and the first step adds g_a ᵀ h0. Added into <paramref name="into"/> when given (an owned
    /// running sum of the weight's dtype). Shared with <see cref="GruSequenceOp"/>.</summary>
    internal static NDArray HiddenWeightGradient<T>(T[] gad, int steps, int b, NDArray outputs, NDArray h0, NDArray w, NDArray? into, bool reverse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g = w.Shape[0], h = h0.Shape[1];
        bool add = into is not null && into.DType == h0.DType;
        var gw = add ? into! : NDArray.Empty<T>(w.Shape);
        T[] gwd = gw.Array<T>();
        if (steps > 1)
            Gemm.Multiply(true, false, g, h, (steps - 1) * b, gad, reverse ? 0 : b * g, outputs.Array<T>(), reverse ? b * h : 0, gwd, 0, accumulate: add);
        Gemm.Multiply(true, false, g, h, b, gad, (reverse ? steps - 1 : 0) * b * g, h0.Array<T>(), 0, gwd, 0, accumulate: add || steps > 1);
        return gw;
    }
}

/// <summary>Runs one recurrent step's row-wise work (h W_hhᵀ, the gates, their rule) over the batch rows: two halves on
/// two cores when the step is large enough, else all rows here. Every row of a step depends only on the same row of
/// the previous step, so the halves never touch each other's data. Shared by <see cref="LstmSequenceOp"/> and
/// <see cref="GruSequenceOp"/>.</summary>
internal static class StepRows
{
    // PERF: one fork per step for the GEMM *and* the gates, instead of a GEMM split over columns followed by serial
    // gates: W2's forward recurrence (B 32, H 128) measured 1118 -> 903 µs per sequence on 2 cores.
    private const long MinWork = 1L << 20; // m·n·k of the step's product; Gemm splits products from this size on too

    public static void Run(int rows, long work, Action<int, int> body)
    {
        if (rows < 16 || work < MinWork || Environment.ProcessorCount < 2)
        {
            body(0, rows);
            return;
        }
        int half = (rows / 2 + 7) & ~7; // a multiple of the 8-row micro-tile
        Parallel.Invoke(() => body(0, half), () => body(half, rows));
    }
}
