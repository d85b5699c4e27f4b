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
        CheckRecurrent(xProjected.Shape, h0, c0, weightHh, biasHh);
        var dtype = DTypeExtensions.Promote(xProjected.DType, RecurrentDType(h0, c0, weightHh, biasHh));
        int steps = xProjected.Shape[0];
        if (steps == 0) return (Tensor.Zeros(Shape.Of(0, h0.Shape[0], h0.Shape[1]), dtype), Cast(h0, dtype), Cast(c0, dtype));
        Tensor[] inputs = [Cast(xProjected, dtype), Cast(h0, dtype), Cast(c0, dtype), Cast(weightHh, dtype), .. biasHh is null ? Array.Empty<Tensor>() : [Cast(biasHh, dtype)]];
        return SequenceOutputs(new LstmSequenceOp(reverse, biasHh is not null, projected: true, hasBiasIh: false), inputs, steps, reverse);
    }

    /// <summary>
    /// <see cref="LstmSequence(Tensor, Tensor, Tensor, Tensor, Tensor?, bool)"/> from the raw input x [T, B, D] and
    /// the input-side weights W_ih [4H, D], b_ih [4H] (PyTorch's whole layer direction, cuDNN-style): the same node
    /// also computes xp = x W_ihᵀ + b_ih (x W_ihᵀ as one GEMM over the T·B rows, or inside each step when D is at most
    /// 64; b_ih added with b_hh at each step)
    /// and, in its rule, g_x = g_xp W_ih, g_W_ih = g_xpᵀ x (in one GEMM with g_W_hh, which shares g_xpᵀ)
    /// and g_b_ih = Σ g_xp. Equals <c>LstmSequence(Affine(x, W_ih, b_ih), h0, c0, W_hh, b_hh)</c>.
    /// PERF: the projection [T, B, 4H] and its cotangent are scratch buffers of the node, not arrays of the graph
    /// (W2: 2 × 3.3 MB fewer large-object allocations per step of training), and Σ g_xp serves both biases.
    /// </summary>
    /// <returns>The outputs h_t [T, B, H], and the final states h and c [B, H] (after the last step processed).</returns>
    public static (Tensor Output, Tensor H, Tensor C) LstmSequence(Tensor x, Tensor h0, Tensor c0, Tensor weightIh, Tensor weightHh,
        Tensor? biasIh, Tensor? biasHh, bool reverse = false)
    {
        int gates = weightHh.Rank == 2 ? weightHh.Shape[0] : -1;
        if (x.Rank != 3 || weightIh.Rank != 2 || weightIh.Shape[0] != gates || weightIh.Shape[1] != x.Shape[2]
            || (biasIh is not null && (biasIh.Rank != 1 || biasIh.Shape[0] != gates)))
            throw new ShapeMismatchException($"LstmSequence: x {x.Shape}, W_ih {weightIh.Shape}{(biasIh is null ? "" : $", b_ih {biasIh.Shape}")} " +
                $"and W_hh {weightHh.Shape} do not fit: expected [T, B, D], [4H, D], [4H] and [4H, H].");
        // The recurrent side is checked as for a projected input of shape [T, B, 4H].
        var projectedShape = Shape.Of(x.Shape[0], x.Shape[1], gates);
        CheckRecurrent(projectedShape, h0, c0, weightHh, biasHh);
        var dtype = DTypeExtensions.Promote(DTypeExtensions.Promote(x.DType, weightIh.DType), RecurrentDType(h0, c0, weightHh, biasHh));
        if (biasIh is not null) dtype = DTypeExtensions.Promote(dtype, biasIh.DType);
        int steps = x.Shape[0];
        if (steps == 0) return (Tensor.Zeros(Shape.Of(0, h0.Shape[0], h0.Shape[1]), dtype), Cast(h0, dtype), Cast(c0, dtype));
        Tensor[] inputs = [Cast(x, dtype), Cast(h0, dtype), Cast(c0, dtype), Cast(weightHh, dtype),
            .. biasHh is null ? Array.Empty<Tensor>() : [Cast(biasHh, dtype)], Cast(weightIh, dtype), .. biasIh is null ? Array.Empty<Tensor>() : [Cast(biasIh, dtype)]];
        return SequenceOutputs(new LstmSequenceOp(reverse, biasHh is not null, projected: false, biasIh is not null), inputs, steps, reverse);
    }

    // The node's value is [h_0 .. h_{T−1}; c_final] [T+1, B, H]; the outputs and final states are slices of it.
    private static (Tensor Output, Tensor H, Tensor C) SequenceOutputs(LstmSequenceOp op, Tensor[] inputs, int steps, bool reverse)
    {
        var node = op.Record(op.Forward(inputs), inputs);
        return (Slice(node, 0, 0, steps), Index(node, reverse ? 0 : steps - 1), Index(node, steps));
    }

    private static void CheckRecurrent(Shape xProjected, Tensor h0, Tensor c0, Tensor weightHh, Tensor? biasHh)
    {
        int hidden = h0.Rank == 2 ? h0.Shape[1] : -1;
        if (xProjected.Rank != 3 || h0.Rank != 2 || !c0.Shape.Equals(h0.Shape) || xProjected[1] != h0.Shape[0]
            || xProjected[2] != 4 * hidden || weightHh.Rank != 2 || weightHh.Shape[0] != 4 * hidden || weightHh.Shape[1] != hidden
            || (biasHh is not null && (biasHh.Rank != 1 || biasHh.Shape[0] != 4 * hidden)))
            throw new ShapeMismatchException($"LstmSequence: xProjected {xProjected}, h0 {h0.Shape}, c0 {c0.Shape}, W_hh {weightHh.Shape}" +
                $"{(biasHh is null ? "" : $", b_hh {biasHh.Shape}")} do not fit: expected [T, B, 4H], [B, H], [B, H], [4H, H], [4H].");
    }

    private static DType RecurrentDType(Tensor h0, Tensor c0, Tensor weightHh, Tensor? biasHh)
    {
        var dtype = DTypeExtensions.Promote(DTypeExtensions.Promote(h0.DType, c0.DType), weightHh.DType);
        return biasHh is null ? dtype : DTypeExtensions.Promote(dtype, biasHh.DType);
    }
}

/// <summary>One node per direction and layer, inputs (xp, h0, c0, W_hh[, b_hh]) — or, when it projects the input itself,
/// (x, h0, c0, W_hh[, b_hh], W_ih[, b_ih]) — value [T+1, B, H] = outputs then the final cell state. It keeps, per
/// processed step s, the activations [i, f, g, o] and the cell state before it; its rule recomputes tanh c_t from the
/// saved c_t (the cell state before step s+1, or the final one in the value).</summary>
/// <param name="reverse">Process t = T−1..0.</param>
/// <param name="hasBiasHh">Input 4 is b_hh.</param>
/// <param name="projected">Input 0 is xp [T, B, 4H]; otherwise it is x [T, B, D], with W_ih (and b_ih) after the recurrent inputs.</param>
/// <param name="hasBiasIh">The input projection has a bias (after W_ih).</param>
internal sealed class LstmSequenceOp(bool reverse, bool hasBiasHh, bool projected, bool hasBiasIh) : BufferedPrimitive(new Residuals(2))
{
    // PERF: 4H rather than 5H per step (tanh c is recomputed in the rule, one tanh per element): a fifth less saved data.
    // [T, B, 4H] gate activations (slot 0) and [T, B, H] c before step s (slot 1), processing order; pooled (Residuals).
    private Residuals Saved => Kept!;

    private int WeightIhSlot => hasBiasHh ? 5 : 4;

    /// <summary>Whether the steps project a raw input of <paramref name="depth"/> features themselves (forward: x_t W_ihᵀ,
    /// rule: g_a_t W_ih) instead of one product over all T·B rows.</summary>
    private bool Folds(int depth) => !projected && depth <= Gemm.StepProjectionDepth;

    public override string Name => "lstm_sequence";
    public override string Attributes => string.Join(", ", new[] { reverse ? "reverse" : "", projected ? "" : "projects input" }.Where(a => a.Length > 0));

    internal NDArray Forward(Tensor[] inputs) =>
        inputs[0].DType == DType.Float32 ? Forward<float>(inputs) : Forward<double>(inputs);

    private NDArray Forward<T>(Tensor[] inputs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        NDArray h0 = inputs[1].Value, w = inputs[3].Value;
        int steps = inputs[0].Shape[0], b = h0.Shape[0], h = h0.Shape[1], g = 4 * h;
        var y = NDArray.Empty<T>(Shape.Of(steps + 1, b, h));
        T[] wd = w.Array<T>(), yd = y.Array<T>(), act = Saved.Rent<T>(0, steps * b * g), cs = Saved.Rent<T>(1, steps * b * h);
        T[]? bd = Bias<T>(inputs);
        T[] hPrev = h0.Array<T>();
        int hOff = 0;
        // PERF: a narrow raw input (D ≤ Gemm.StepProjectionDepth) is projected inside each step, x_t W_ihᵀ added into the same
        // [B, 4H] rows as h W_hhᵀ: as one product before the loop, its T·B·4H values (W2: 3.2 MB for a depth of 32) were
        // written out and read back at memory speed, 1.07 ms of W2's 10. A wider input is projected before the loop, as
        // one large product at full GEMM speed (W3: 6400 x 2048 x 512), into a pooled scratch buffer the rule does not need.
        int d = projected ? 0 : inputs[0].Shape[2];
        bool fold = Folds(d);
        // x: the rows xp [T·B, 4H] that each step adds to its own (the input as given, or x W_ihᵀ projected here before
        // the loop), or, when the steps project the input themselves (fold), the raw x [T·B, D].
        T[] x = projected || fold ? inputs[0].Value.Array<T>() : Project<T>(inputs, steps * b, g);
        T[]? wih = fold ? inputs[WeightIhSlot].Value.Array<T>() : null;
        // PERF: one pooled [B, 4H] buffer holds h W_hhᵀ + the biases for every step (or h W_hhᵀ + x_t W_ihᵀ when the steps
        // project x_t; the gates then add the biases); gates, h and c go straight to their final place (c_t is the next
        // step's saved c_{t−1}).
        var hid = ArrayPool<T>.Shared.Rent(b * g);
        try
        {
            inputs[2].Value.Array<T>().AsSpan(0, b * h).CopyTo(cs);
            for (int s = 0; s < steps; s++)
            {
                int t = reverse ? steps - 1 - s : s;
                int cNext = s < steps - 1 ? (s + 1) * b * h : -1;
                T[] cTo = cNext >= 0 ? cs : yd;
                int cToOff = cNext >= 0 ? cNext : steps * b * h;
                RowHalves.Run(b, (long)b * g * (h + d), (r0, r1) =>
                {
                    // PERF: folded, the bias is the gates' second summand (one [4H] row for every row), not copied into each
                    // row of hid first for the products to add to.
                    if (bd is not null && !fold)
                        for (int r = r0; r < r1; r++) bd.AsSpan().CopyTo(hid.AsSpan(r * g, g));
                    if (fold)
                        Gemm.Multiply(false, true, r1 - r0, g, d, x, (t * b + r0) * d, wih!, 0, hid, r0 * g, accumulate: false,
                            cacheB: true, parallel: false);
                    Gemm.Multiply(false, true, r1 - r0, g, h, hPrev, hOff + r0 * h, wd, 0, hid, r0 * g, accumulate: bd is not null || fold,
                        cacheB: true, parallel: false);
                    for (int r = r0; r < r1; r++)
                        LstmGatesOp.ForwardRow<T>(fold ? hid.AsSpan(r * g, g) : x.AsSpan((t * b + r) * g, g), fold ? bd : hid.AsSpan(r * g, g),
                            cs.AsSpan((s * b + r) * h, h), act.AsSpan((s * b + r) * g, g), yd.AsSpan((t * b + r) * h, h), cTo.AsSpan(cToOff + r * h, h));
                });
                (hPrev, hOff) = (yd, t * b * h);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(hid);
            if (!projected && !fold) ArrayPool<T>.Shared.Return(x);
        }
        return y;
    }

    /// <summary>The bias each step adds to h W_hhᵀ: b_hh, and b_ih too when the node projects its input (b_ih + b_hh,
    /// summed once); null when there is none.</summary>
    private T[]? Bias<T>(Tensor[] inputs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[]? bih = !projected && hasBiasIh ? inputs[WeightIhSlot + 1].Value.Array<T>() : null, bhh = hasBiasHh ? inputs[4].Value.Array<T>() : null;
        if (bih is null || bhh is null) return bih ?? bhh;
        var sum = new T[bih.Length];
        TensorPrimitives.Add(bih, bhh, sum);
        return sum;
    }

    /// <summary>xp = x W_ihᵀ into a pooled buffer of at least rows·G values (the caller returns it).
    /// PERF: b_ih is added with b_hh at each step (<see cref="Bias{T}"/>), not written into every row of xp first: W3's
    /// 6400 rows of 2048 were 52 MB written by one core, then read again by the product.</summary>
    private T[] Project<T>(Tensor[] inputs, int rows, int g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xd = inputs[0].Value.Array<T>();
        var wih = inputs[WeightIhSlot].Value;
        var xp = ArrayPool<T>.Shared.Rent(rows * g);
        Gemm.Multiply(false, true, rows, g, wih.Shape[1], xd, 0, wih.Array<T>(), 0, xp, 0, accumulate: false, cacheB: true);
        return xp;
    }

    // PERF: g_W_hh (and g_W_ih) may be added straight into the sweep's running sum for a weight used by several nodes.
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned)
    {
        using var reading = Saved.Read(() => Forward([.. y.Inputs]));
        return gy.DType == DType.Float32 ? Vjp<float>(y, gy, owned) : Vjp<double>(y, gy, owned);
    }

    private NDArray?[] Vjp<T>(Tensor y, NDArray gy, NDArray?[] owned) where T : unmanaged, IFloatingPointIeee754<T>
    {
        NDArray h0 = y.Input(1).Value, w = y.Input(3).Value;
        int steps = y.Input(0).Shape[0], b = h0.Shape[0], h = h0.Shape[1], g = 4 * h, bh = b * h, rows = steps * b;
        // The gate cotangents g_a = g_xp: the cotangent of a projected input, or scratch when the node projects itself.
        var ga = projected ? NDArray.Empty<T>(Shape.Of(steps, b, g)) : null;
        T[] gad = ga?.Array<T>() ?? ArrayPool<T>.Shared.Rent(rows * g);
        var gh0 = NDArray.Zeros(h0.Shape, h0.DType);   // g_a_{s+1} W_hh, the cotangent flowing into h before step s+1
        var gc0 = NDArray.Empty<T>(h0.Shape);          // the carried cell cotangent, finally g_c0
        T[] gyd = gy.Array<T>(), wd = w.Array<T>(), dh = gh0.Array<T>(), dc = gc0.Array<T>(),
            act = Saved.Get<T>(0)!, cs = Saved.Get<T>(1)!, yd = y.Value.Array<T>();
        gyd.AsSpan(steps * bh, bh).CopyTo(dc);
        var gh = ArrayPool<T>.Shared.Rent(bh);
        var tc = ArrayPool<T>.Shared.Rent(bh);
        // PERF: Σ g_a over the rows (g_b_hh, and g_b_ih as well: the same sum), added up step by step while each half's
        // rows are in cache, one running sum per half, not in a pass over all T·B rows on one core after the loop.
        var biasSums = hasBiasHh || hasBiasIh ? new T[2 * g] : null;
        // PERF: with a narrow raw input (projected inside the forward steps), g_x_t = g_a_t W_ih is also computed inside
        // each step, in one product with g_a_t W_hh (the pair shares the packed g_a_t, and both weights' packed panels are
        // kept): as one product after the loop it packed all of g_a again for an output only D wide.
        int d = projected ? 0 : y.Input(0).Shape[2];
        bool fold = Folds(d);
        var gx = projected ? null : NDArray.Empty<T>(y.Input(0).Shape);
        T[]? gxd = fold ? gx!.Array<T>() : null, wihd = fold ? y.Input(WeightIhSlot).Value.Array<T>() : null;
        try
        {
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = reverse ? steps - 1 - s : s;
                // c_t, the cell state after step s: saved as the state before step s+1, or the final one in the value
                // (row by row, exactly as the forward rounded it)
                T[] cNew = s < steps - 1 ? cs : yd;
                int cNewOff = s < steps - 1 ? (s + 1) * bh : steps * bh;
                RowHalves.Run(b, (long)b * g * h, (r0, r1) =>
                {
                    int rh = r0 * h, nh = (r1 - r0) * h;
                    TensorPrimitives.Add(gyd.AsSpan(t * bh + rh, nh), dh.AsSpan(rh, nh), gh.AsSpan(rh, nh));
                    for (int r = r0; r < r1; r++)
                        Activation.Tanh<T>(cNew.AsSpan(cNewOff + r * h, h), tc.AsSpan(r * h, h));
                    for (int r = r0; r < r1; r++)
                        LstmGatesOp.Backward<T>(act.AsSpan((s * b + r) * g, g), tc.AsSpan(r * h, h), cs.AsSpan((s * b + r) * h, h), gh.AsSpan(r * h, h),
                            dc.AsSpan(r * h, h), gad.AsSpan((t * b + r) * g, g), dc.AsSpan(r * h, h));
                    if (biasSums is not null)
                    {
                        var sum = biasSums.AsSpan(r0 == 0 ? 0 : g, g);
                        for (int r = r0; r < r1; r++) TensorPrimitives.Add(sum, gad.AsSpan((t * b + r) * g, g), sum);
                    }
                    if (fold)
                        Gemm.MultiplyPair(false, r1 - r0, g, gad, (t * b + r0) * g, h, wd, 0, dh, rh, d, wihd!, 0, gxd!, (t * b + r0) * d,
                            accumulate: false, cacheB: true, parallel: false);
                    else
                        Gemm.Multiply(false, false, r1 - r0, h, g, gad, (t * b + r0) * g, wd, 0, dh, rh, accumulate: false, cacheB: true, parallel: false);
                });
            }
            // A running sum to add g_W_hh or g_W_ih into (a weight used by several nodes), or null.
            NDArray? hhInto = owned[3] is { } oh && oh.DType == gy.DType ? oh : null,
                ihInto = !projected && owned[WeightIhSlot] is { } oi && oi.DType == gy.DType ? oi : null;
            bool pair = !projected && steps > 1 && (hhInto is null) == (ihInto is null);
            var gw = pair ? null : HiddenWeightGradient<T>(gad, steps, b, y.Value, h0, w, hhInto, reverse);
            var gb = biasSums is null ? null : HalfSums<T>(biasSums, g);
            if (projected) return hasBiasHh ? [ga, gh0, gc0, gw, gb] : [ga, gh0, gc0, gw];
            // The input side: g_x = g_a W_ih (here unless the steps computed it), g_W_ih = g_aᵀ x.
            NDArray x = y.Input(0).Value, wih = y.Input(WeightIhSlot).Value;
            if (!fold)
                Gemm.Multiply(false, false, rows, d, g, gad, 0, wih.Array<T>(), 0, gx!.Array<T>(), 0, accumulate: false, cacheB: true);
            NDArray gwih;
            if (pair) (gw, gwih) = WeightGradients<T>(gad, steps, b, x, y.Value, h0, w, wih, hhInto, ihInto, reverse);
            else
            {
                gwih = ihInto ?? NDArray.Empty<T>(wih.Shape);
                Gemm.Multiply(true, false, g, x.Shape[2], rows, gad, 0, x.Array<T>(), 0, gwih.Array<T>(), 0, accumulate: ihInto is not null);
            }
            var result = new NDArray?[y.InputCount];
            (result[0], result[1], result[2], result[3], result[WeightIhSlot]) = (gx, gh0, gc0, gw, gwih);
            if (hasBiasHh) result[4] = gb;
            if (hasBiasIh) result[WeightIhSlot + 1] = gb;
            return result;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(gh);
            ArrayPool<T>.Shared.Return(tc);
            if (ga is null) ArrayPool<T>.Shared.Return(gad);
        }
    }

    /// <summary>g_W_hh (as <see cref="HiddenWeightGradient"/>) and g_W_ih = g_aᵀ x together: one
    /// <see cref="Gemm.MultiplyPair"/> over the rows of the steps whose h_{t−1} is an output, so g_aᵀ is packed once for
    /// both, then the B rows of the first step processed with x and h0 on their own. Added into the running sums
    /// <paramref name="hhInto"/> and <paramref name="ihInto"/> when given (both or neither).</summary>
    private static (NDArray Hh, NDArray Ih) WeightGradients<T>(T[] gad, int steps, int b, NDArray x, NDArray outputs, NDArray h0,
        NDArray w, NDArray wih, NDArray? hhInto, NDArray? ihInto, bool reverse) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g = w.Shape[0], h = h0.Shape[1], d = x.Shape[2], rest = (steps - 1) * b;
        var (gw, gwih) = (hhInto ?? NDArray.Empty<T>(w.Shape), ihInto ?? NDArray.Empty<T>(wih.Shape));
        T[] xd = x.Array<T>(), gwd = gw.Array<T>(), gwihd = gwih.Array<T>();
        var (from, outputsFrom, firstRow) = PreviousOutputs(steps, b, reverse);
        Gemm.MultiplyPair(true, g, rest, gad, from * g, d, xd, from * d, gwihd, 0, h, outputs.Array<T>(), outputsFrom * h, gwd, 0,
            accumulate: hhInto is not null);
        Gemm.Multiply(true, false, g, d, b, gad, firstRow * g, xd, firstRow * d, gwihd, 0, accumulate: true);
        Gemm.Multiply(true, false, g, h, b, gad, firstRow * g, h0.Array<T>(), 0, gwd, 0, accumulate: true);
        return (gw, gwih);
    }

    /// <summary>The two halves' running sums [2, G] added: the bias gradient [G].</summary>
    private static NDArray HalfSums<T>(T[] sums, int g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gb = NDArray.Empty<T>(Shape.Of(g));
        TensorPrimitives.Add(sums.AsSpan(0, g), sums.AsSpan(g, g), gb.Array<T>());
        return gb;
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
        var (from, outputsFrom, firstRow) = PreviousOutputs(steps, b, reverse);
        if (steps > 1)
            Gemm.Multiply(true, false, g, h, (steps - 1) * b, gad, from * g, outputs.Array<T>(), outputsFrom * h, gwd, 0, accumulate: add);
        Gemm.Multiply(true, false, g, h, b, gad, firstRow * g, h0.Array<T>(), 0, gwd, 0, accumulate: add || steps > 1);
        return gw;
    }

    /// <summary>Where h_{t−1} comes from, in rows of [T·B, ·] (time order): the (T−1)·B rows of g_a (and x) from
    /// <c>From</c> pair with the outputs from <c>OutputsFrom</c>, one step back (forward) or ahead (reverse); the B rows
    /// at <c>FirstRow</c>, the step processed first, had h0 before them.</summary>
    private static (int From, int OutputsFrom, int FirstRow) PreviousOutputs(int steps, int b, bool reverse) =>
        reverse ? (0, b, (steps - 1) * b) : (b, 0, 0);
}
