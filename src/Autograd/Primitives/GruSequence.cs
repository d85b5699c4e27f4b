using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autograd;

public static partial class Ops
{
    /// <summary>
    /// One direction of a GRU layer over a whole sequence as one node (cuDNN-style), from the input side already
    /// projected for all steps, xp = x W_ihᵀ + b_ih = [x_r, x_z, x_n] [T, B, 3H] (one <see cref="Affine"/> by the caller):
    /// <code>
    /// [a_r, a_z, a_n] = h_{t−1} W_hhᵀ + b_hh      r = σ(x_r + a_r)   z = σ(x_z + a_z)
    /// n = tanh(x_n + r ⊙ a_n)                      h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
    /// </code>
    /// for t = 0..T−1 from h0 [B, H], or t = T−1..0 when <paramref name="reverse"/> (h_t still stored at position t,
    /// PyTorch's layout). Equals scanning <see cref="Nn.GruCell.StepProjected"/> over xp.
    /// Derivative (reverse sweep over the steps), with g the cotangent of h_t (g_out_t plus what step t+1 sends back):
    /// ň = g(1−z)(1−n²), ž = g(h_{t−1}−n)z(1−z), ř = ň a_n r(1−r); g_xp_t = [ř, ž, ň], g_a_t = [ř, ž, ň ⊙ r],
    /// g_h_{t−1} = g ⊙ z + g_a_t W_hh; g_W_hh = Σ_t g_a_tᵀ h_{t−1} (one GEMM over T·B rows), g_b_hh = Σ g_a_t.
    /// A primitive for speed: the scan records about twenty nodes per step; this records one, keeping [r, z, n, a_n]
    /// [T, B, 4H] for its rule and multiplying W_hh's cached packed panels.
    /// </summary>
    /// <returns>The outputs h_t [T, B, H] and the final state h [B, H] (after the last step processed).</returns>
    public static (Tensor Output, Tensor H) GruSequence(Tensor xProjected, Tensor h0, Tensor weightHh, Tensor? biasHh = null, bool reverse = false)
    {
        int hidden = h0.Rank == 2 ? h0.Shape[1] : -1;
        if (xProjected.Rank != 3 || h0.Rank != 2 || xProjected.Shape[1] != h0.Shape[0] || xProjected.Shape[2] != 3 * hidden
            || weightHh.Rank != 2 || weightHh.Shape[0] != 3 * hidden || weightHh.Shape[1] != hidden
            || (biasHh is not null && (biasHh.Rank != 1 || biasHh.Shape[0] != 3 * hidden)))
            throw new ShapeMismatchException($"GruSequence: xProjected {xProjected.Shape}, h0 {h0.Shape}, W_hh {weightHh.Shape}" +
                $"{(biasHh is null ? "" : $", b_hh {biasHh.Shape}")} do not fit: expected [T, B, 3H], [B, H], [3H, H], [3H].");
        var dtype = DTypeExtensions.Promote(DTypeExtensions.Promote(xProjected.DType, h0.DType), weightHh.DType);
        if (biasHh is not null) dtype = DTypeExtensions.Promote(dtype, biasHh.DType);
        int steps = xProjected.Shape[0];
        if (steps == 0) return (Tensor.Zeros(Shape.Of(0, h0.Shape[0], hidden), dtype), Cast(h0, dtype));
        xProjected = Cast(xProjected, dtype);
        h0 = Cast(h0, dtype);
        weightHh = Cast(weightHh, dtype);
        biasHh = biasHh is null ? null : Cast(biasHh, dtype);
        var op = new GruSequenceOp(reverse);
        Tensor[] inputs = biasHh is null ? [xProjected, h0, weightHh] : [xProjected, h0, weightHh, biasHh];
        var node = op.Record(op.Forward(inputs), inputs);
        return (node, Index(node, reverse ? 0 : steps - 1));
    }
}

/// <summary>One node per direction and layer, inputs (xp, h0, W_hh[, b_hh]), value the outputs [T, B, H]. It keeps
/// [r, z, n, a_n] per step (time order).</summary>
internal sealed class GruSequenceOp(bool reverse) : BufferedPrimitive(new Residuals(1))
{
    private Residuals Saved => Kept!; // [T, B, 4H] activations, pooled (Residuals)

    public override string Name => "gru_sequence";
    public override string Attributes => reverse ? "reverse" : "";

    /// <summary>The forward pass over the inputs (xp, h0, W_hh[, b_hh]) in xp's dtype: the outputs, and the kept
    /// activations rented for the rule.</summary>
    internal NDArray Forward(Tensor[] inputs)
    {
        NDArray xp = inputs[0].Value, h0 = inputs[1].Value, w = inputs[2].Value;
        NDArray? bias = inputs.Length > 3 ? inputs[3].Value : null;
        return xp.DType == DType.Float32 ? Forward<float>(xp, h0, w, bias) : Forward<double>(xp, h0, w, bias);
    }

    private NDArray Forward<T>(NDArray xp, NDArray h0, NDArray w, NDArray? bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = xp.Shape[0], b = h0.Shape[0], h = h0.Shape[1], g = 3 * h;
        var y = NDArray.Empty<T>(Shape.Of(steps, b, h));
        T[] x = xp.Array<T>(), wd = w.Array<T>(), yd = y.Array<T>(), act = Saved.Rent<T>(0, steps * b * 4 * h), hPrev = h0.Array<T>();
        T[]? bd = bias?.Array<T>();
        int hOff = 0;
        var hid = ArrayPool<T>.Shared.Rent(b * g); // PERF: h W_hhᵀ + b_hh of one step, reused by all steps
        try
        {
            for (int s = 0; s < steps; s++)
            {
                int t = reverse ? steps - 1 - s : s;
                RowHalves.Run(b, (long)b * g * h, (r0, r1) =>
                {
                    if (bd is not null)
                        for (int r = r0; r < r1; r++) bd.AsSpan().CopyTo(hid.AsSpan(r * g, g));
                    Gemm.Multiply(false, true, r1 - r0, g, h, hPrev, hOff + r0 * h, wd, 0, hid, r0 * g, accumulate: bd is not null,
                        cacheB: true, parallel: false);
                    for (int r = r0; r < r1; r++)
                        ForwardRow<T>(x.AsSpan((t * b + r) * g, g), hid.AsSpan(r * g, g), hPrev.AsSpan(hOff + r * h, h),
                            act.AsSpan((t * b + r) * 4 * h, 4 * h), yd.AsSpan((t * b + r) * h, h));
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

    // One row, rounded as the composed cell rounds it: act = [r, z, n, a_n]; a (the hidden side) is scratch afterwards.
    private static void ForwardRow<T>(ReadOnlySpan<T> xp, Span<T> a, ReadOnlySpan<T> hPrev, Span<T> act, Span<T> h1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hPrev.Length;
        Span<T> rz = act[..(2 * h)], n = act.Slice(2 * h, h), an = act.Slice(3 * h, h), scratch = a[..h];
        TensorPrimitives.Add(xp[..(2 * h)], a[..(2 * h)], rz);
        Activation.Sigmoid<T>(rz, rz);
        a.Slice(2 * h, h).CopyTo(an);
        TensorPrimitives.Multiply(act[..h], an, n);
        TensorPrimitives.Add(xp.Slice(2 * h, h), n, n);
        Activation.Tanh<T>(n, n);
        ReadOnlySpan<T> z = act.Slice(h, h);
        TensorPrimitives.Subtract(T.One, z, h1);
        TensorPrimitives.Multiply(h1, n, h1);
        TensorPrimitives.Multiply(z, hPrev, scratch);
        TensorPrimitives.Add(h1, scratch, h1);
    }

    // PERF: g_W_hh may be added straight into the sweep's running sum for a weight used by several nodes.
    internal override NDArray?[] Vjp(Tensor y, NDArray gy, NDArray?[] owned, bool gyOwned)
    {
        using var reading = Saved.Read(() => Forward([.. y.Inputs]));
        return gy.DType == DType.Float32 ? Vjp<float>(y, gy, owned) : Vjp<double>(y, gy, owned);
    }

    private NDArray?[] Vjp<T>(Tensor y, NDArray gy, NDArray?[] owned) where T : unmanaged, IFloatingPointIeee754<T>
    {
        NDArray h0 = y.Input(1).Value, w = y.Input(2).Value;
        int steps = y.Shape[0], b = h0.Shape[0], h = h0.Shape[1], g = 3 * h, bh = b * h;
        var gx = NDArray.Empty<T>(Shape.Of(steps, b, g));
        // PERF: g_a is scratch (only g_xp is handed out): a pooled buffer, returned when this call ends.
        var gad = ArrayPool<T>.Shared.Rent(steps * b * g);
        var gh0 = NDArray.Zeros(h0.Shape, h0.DType); // the cotangent flowing into h before the step being undone
        T[] gyd = gy.Array<T>(), gxd = gx.Array<T>(), wd = w.Array<T>(), dh = gh0.Array<T>(),
            act = Saved.Get<T>(0)!, yd = y.Value.Array<T>(), h0d = h0.Array<T>();
        var gh = ArrayPool<T>.Shared.Rent(bh);
        try
        {
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = reverse ? steps - 1 - s : s, tPrev = reverse ? t + 1 : t - 1;
                T[] hp = s == 0 ? h0d : yd;
                int hpOff = s == 0 ? 0 : tPrev * bh;
                RowHalves.Run(b, (long)b * g * h, (r0, r1) =>
                {
                    int rh = r0 * h, nh = (r1 - r0) * h;
                    TensorPrimitives.Add(gyd.AsSpan(t * bh + rh, nh), dh.AsSpan(rh, nh), gh.AsSpan(rh, nh));
                    for (int r = r0; r < r1; r++)
                        BackwardRow<T>(act.AsSpan((t * b + r) * 4 * h, 4 * h), hp.AsSpan(hpOff + r * h, h), gh.AsSpan(r * h, h),
                            gxd.AsSpan((t * b + r) * g, g), gad.AsSpan((t * b + r) * g, g), dh.AsSpan(r * h, h));
                    Gemm.Multiply(false, false, r1 - r0, h, g, gad, (t * b + r0) * g, wd, 0, dh, rh, accumulate: true, cacheB: true, parallel: false);
                });
            }
            var gw = LstmSequenceOp.HiddenWeightGradient<T>(gad, steps, b, y.Value, h0, w, owned[2], reverse);
            if (y.InputCount == 3) return [gx, gh0, gw];
            // g_b_hh = Σ_rows g_a, summed row after row as Reduce.Sum does
            var gb = NDArray.Zeros(Shape.Of(g), h0.DType);
            var gbd = gb.Array<T>().AsSpan();
            for (int row = 0; row < steps * b; row++) TensorPrimitives.Add<T>(gbd, gad.AsSpan(row * g, g), gbd);
            return [gx, gh0, gw, gb];
        }
        finally
        {
            ArrayPool<T>.Shared.Return(gh);
            ArrayPool<T>.Shared.Return(gad);
        }
    }

    // One row: act = [r, z, n, a_n], hp = h_{t−1}, gh the cotangent of h_t. Writes g_xp [3H], g_a [3H] and g ⊙ z into dh
    // (the step's GEMM then adds g_a W_hh to it).
    private static void BackwardRow<T>(ReadOnlySpan<T> act, ReadOnlySpan<T> hp, ReadOnlySpan<T> gh, Span<T> gx, Span<T> ga, Span<T> dh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hp.Length, j = 0;
        ref T a = ref MemoryMarshal.GetReference(act);
        ref T hpr = ref MemoryMarshal.GetReference(hp);
        ref T ghr = ref MemoryMarshal.GetReference(gh);
        ref T gxr = ref MemoryMarshal.GetReference(gx);
        ref T gar = ref MemoryMarshal.GetReference(ga);
        ref T dhr = ref MemoryMarshal.GetReference(dh);
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<T>.One;
            for (; j <= h - Vector256<T>.Count; j += Vector256<T>.Count)
            {
                nuint u = (nuint)j, uh = (nuint)h;
                Vector256<T> r = Vector256.LoadUnsafe(ref a, u), z = Vector256.LoadUnsafe(ref a, uh + u), n = Vector256.LoadUnsafe(ref a, 2 * uh + u),
                    an = Vector256.LoadUnsafe(ref a, 3 * uh + u), g = Vector256.LoadUnsafe(ref ghr, u);
                var dn = g * (one - z) * (one - n * n);
                var dz = g * (Vector256.LoadUnsafe(ref hpr, u) - n) * z * (one - z);
                var dr = dn * an * r * (one - r);
                dr.StoreUnsafe(ref gxr, u);
                dz.StoreUnsafe(ref gxr, uh + u);
                dn.StoreUnsafe(ref gxr, 2 * uh + u);
                dr.StoreUnsafe(ref gar, u);
                dz.StoreUnsafe(ref gar, uh + u);
                (dn * r).StoreUnsafe(ref gar, 2 * uh + u);
                (g * z).StoreUnsafe(ref dhr, u);
            }
        }
        for (; j < h; j++)
        {
            T r = act[j], z = act[h + j], n = act[2 * h + j], an = act[3 * h + j], g = gh[j];
            T dn = g * (T.One - z) * (T.One - n * n), dz = g * (hp[j] - n) * z * (T.One - z), dr = dn * an * r * (T.One - r);
            gx[j] = dr;
            gx[h + j] = dz;
            gx[2 * h + j] = dn;
            ga[j] = dr;
            ga[h + j] = dz;
            ga[2 * h + j] = dn * r;
            dh[j] = g * z;
        }
    }
}
