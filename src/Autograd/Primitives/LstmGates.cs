using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autograd;

public static partial class Ops
{
    /// <summary>
    /// The LSTM cell's gate arithmetic as one node: from the pre-activations a = [a_i, a_f, a_g, a_o] [B, 4H]
    /// (W_ih x + b_ih + W_hh h + b_hh, PyTorch's gate order) and the cell state c [B, H],
    /// <code>
    /// i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
    /// c' = f ⊙ c + i ⊙ g        h' = o ⊙ tanh(c')
    /// </code>
    /// Derivative, with ĉ = g_c' + g_h' ⊙ o ⊙ (1 − tanh²c'):
    /// g_a = [ĉ⊙g⊙i(1−i), ĉ⊙c⊙f(1−f), ĉ⊙i⊙(1−g²), g_h'⊙tanh(c')⊙o(1−o)],  g_c = ĉ ⊙ f.
    /// A primitive for speed: the composed cell records about fifteen nodes per step, each with its own buffer, and
    /// TensorPrimitives' σ is several times slower here than σ(x) = 1/(1 + e⁻ˣ) on 256-bit vectors. Its values
    /// agree with the composed cell to within float rounding (a few ulps), not bit for bit.
    /// </summary>
    /// <returns>h' and c', each [B, H].</returns>
    public static (Tensor H, Tensor C) LstmGates(Tensor gates, Tensor c) => LstmGates(gates, null, c);

    /// <summary>
    /// <see cref="LstmGates(Tensor, Tensor)"/> with the pre-activations given as two summands, a = a₁ + a₂ (the input
    /// projection W_ih x + b_ih and the recurrent one W_hh h + b_hh), added inside the node; both get the cotangent g_a.
    /// PERF: saves materializing the [B, 4H] sum, one buffer and one pass per step.
    /// </summary>
    public static (Tensor H, Tensor C) LstmGates(Tensor inputGates, Tensor? hiddenGates, Tensor c)
    {
        if (c.Rank != 2 || inputGates.Rank != 2 || inputGates.Shape[0] != c.Shape[0] || inputGates.Shape[1] != 4 * c.Shape[1]
            || (hiddenGates is not null && !hiddenGates.Shape.Equals(inputGates.Shape)))
            throw new ShapeMismatchException($"LstmGates: gates {inputGates.Shape}{(hiddenGates is null ? "" : $" + {hiddenGates.Shape}")} and cell state {c.Shape} do not fit: expected gates [B, 4H] and c [B, H].");
        var dtype = DTypeExtensions.Promote(inputGates.DType, c.DType);
        if (hiddenGates is not null) dtype = DTypeExtensions.Promote(dtype, hiddenGates.DType);
        inputGates = Cast(inputGates, dtype);
        hiddenGates = hiddenGates is null ? null : Cast(hiddenGates, dtype);
        c = Cast(c, dtype);
        var (y, saved) = dtype == DType.Float32
            ? LstmGatesOp.Forward<float>(inputGates.Value, hiddenGates?.Value, c.Value)
            : LstmGatesOp.Forward<double>(inputGates.Value, hiddenGates?.Value, c.Value);
        var op = new LstmGatesOp(saved);
        var node = hiddenGates is null ? op.Record(y, inputGates, c) : op.Record(y, inputGates, hiddenGates, c);
        return (Index(node, 0), Index(node, 1));
    }
}

/// <summary>One node per call, inputs (a, c) or (a₁, a₂, c): it keeps the activations [B, 5H] = [i, f, g, o, tanh c']
/// its rule needs.</summary>
internal sealed class LstmGatesOp(NDArray saved) : Primitive
{
    public override string Name => "lstm_gates";

    /// <summary>y = [h'; c'] [2, B, H] and the saved activations.</summary>
    internal static (NDArray Y, NDArray Saved) Forward<T>(NDArray gates, NDArray? moreGates, NDArray cell) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = cell.Shape[0], h = cell.Shape[1];
        var y = NDArray.Empty<T>(Shape.Of(2, b, h));
        var saved = NDArray.Empty<T>(Shape.Of(b, 5 * h));
        T[] a = gates.Array<T>(), c = cell.Array<T>(), yd = y.Array<T>(), s = saved.Array<T>();
        T[]? a2 = moreGates?.Array<T>();
        for (int r = 0; r < b; r++)
            ForwardRow<T>(a.AsSpan(r * 4 * h, 4 * h), a2 is null ? default : a2.AsSpan(r * 4 * h, 4 * h), c.AsSpan(r * h, h),
                s.AsSpan(r * 5 * h, 5 * h), yd.AsSpan(r * h, h), yd.AsSpan((b + r) * h, h));
        return (y, saved);
    }

    /// <summary>One row: from the pre-activations a (plus a₂ when not empty) [4H] and c [H], the activations
    /// act = [i, f, g, o, tanh c'] [5H], h' and c' [H]. Shared with <see cref="LstmSequenceOp"/>, which passes act [4H]
    /// (it does not keep tanh c': its rule recomputes it from the saved c').</summary>
    internal static void ForwardRow<T>(ReadOnlySpan<T> pre, ReadOnlySpan<T> pre2, ReadOnlySpan<T> c0, Span<T> act, Span<T> h1, Span<T> c1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = c0.Length;
        bool keepTanh = act.Length >= 5 * h;
        // PERF: the gates of the whole row first, one activation per pass (σ over i and f, tanh over g, σ over o), then
        // c', tanh c' and h' in a second pass over the row (4H values, in L1). One pass with all five activations of a
        // column in registers spilled most of them (16 ymm registers for five exponentials' constants and temporaries):
        // 16 rows of H 128 took 13.0 µs that way and 9.9 µs in two passes, single-threaded on the AVX2 EPYC. The same
        // formulas in the same order, so the same values bit for bit: c' = f c + i g as two products and a sum (no fused
        // multiply-add), which is also what the composed cell computes, to within the σ/tanh kernels.
        Activation.Sigmoid(pre[..(2 * h)], pre2.IsEmpty ? default : pre2[..(2 * h)], act[..(2 * h)]);
        Activation.Tanh(pre.Slice(2 * h, h), pre2.IsEmpty ? default : pre2.Slice(2 * h, h), act.Slice(2 * h, h));
        Activation.Sigmoid(pre.Slice(3 * h, h), pre2.IsEmpty ? default : pre2.Slice(3 * h, h), act.Slice(3 * h, h));
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref T ar = ref MemoryMarshal.GetReference(act);
            ref T cr = ref MemoryMarshal.GetReference(c0);
            ref T hr = ref MemoryMarshal.GetReference(h1);
            ref T cn = ref MemoryMarshal.GetReference(c1);
            nuint uh = (nuint)h;
            for (; j <= h - Vector256<T>.Count; j += Vector256<T>.Count)
            {
                nuint u = (nuint)j;
                var c = Vector256.LoadUnsafe(ref ar, uh + u) * Vector256.LoadUnsafe(ref cr, u)
                    + Vector256.LoadUnsafe(ref ar, u) * Vector256.LoadUnsafe(ref ar, 2 * uh + u);
                c.StoreUnsafe(ref cn, u);
                var tc = Activation.Tanh(c);
                if (keepTanh) tc.StoreUnsafe(ref ar, 4 * uh + u);
                (Vector256.LoadUnsafe(ref ar, 3 * uh + u) * tc).StoreUnsafe(ref hr, u);
            }
        }
        for (; j < h; j++)
        {
            T c = act[h + j] * c0[j] + act[j] * act[2 * h + j];
            c1[j] = c;
            T tc = Activation.Tanh(c);
            if (keepTanh) act[4 * h + j] = tc;
            h1[j] = act[3 * h + j] * tc;
        }
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) =>
        gy.DType == DType.Float32 ? Vjp<float>(y, gy) : Vjp<double>(y, gy);

    private NDArray?[] Vjp<T>(Tensor y, NDArray gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cell = y.Input(y.InputCount - 1).Value;
        int b = cell.Shape[0], h = cell.Shape[1];
        var ga = NDArray.Empty<T>(Shape.Of(b, 4 * h));
        var gc = NDArray.Empty<T>(cell.Shape);
        T[] s = saved.Array<T>(), c = cell.Array<T>(), g = gy.Array<T>(), gad = ga.Array<T>(), gcd = gc.Array<T>();
        for (int r = 0; r < b; r++)
            Backward(s.AsSpan(r * 5 * h, 4 * h), s.AsSpan(r * 5 * h + 4 * h, h), c.AsSpan(r * h, h), g.AsSpan(r * h, h), g.AsSpan((b + r) * h, h),
                gad.AsSpan(r * 4 * h, 4 * h), gcd.AsSpan(r * h, h));
        // Both summands of the pre-activation get the same cotangent; the sweep treats a shared array as borrowed.
        return y.InputCount == 2 ? [ga, gc] : [ga, ga, gc];
    }

    // One row: act = [i, f, g, o] [4H], tcNew = tanh c', c the old cell state, gh and gc the cotangents of h' and c'.
    // gc and gcPrev may be the same span (each element is read before it is written).
    internal static void Backward<T>(ReadOnlySpan<T> act, ReadOnlySpan<T> tcNew, ReadOnlySpan<T> c, ReadOnlySpan<T> gh, ReadOnlySpan<T> gc,
        Span<T> ga, Span<T> gcPrev)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = c.Length, j = 0;
        ref T a = ref MemoryMarshal.GetReference(act);
        ref T tcr = ref MemoryMarshal.GetReference(tcNew);
        ref T cr = ref MemoryMarshal.GetReference(c);
        ref T ghr = ref MemoryMarshal.GetReference(gh);
        ref T gcr = ref MemoryMarshal.GetReference(gc);
        ref T gar = ref MemoryMarshal.GetReference(ga);
        ref T gpr = ref MemoryMarshal.GetReference(gcPrev);
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<T>.One;
            for (; j <= h - Vector256<T>.Count; j += Vector256<T>.Count)
            {
                nuint u = (nuint)j, uh = (nuint)h;
                Vector256<T> i = Vector256.LoadUnsafe(ref a, u), f = Vector256.LoadUnsafe(ref a, uh + u), gg = Vector256.LoadUnsafe(ref a, 2 * uh + u),
                    o = Vector256.LoadUnsafe(ref a, 3 * uh + u), tc = Vector256.LoadUnsafe(ref tcr, u);
                Vector256<T> dh = Vector256.LoadUnsafe(ref ghr, u), dc = Vector256.LoadUnsafe(ref gcr, u) + dh * o * (one - tc * tc);
                (dc * gg * i * (one - i)).StoreUnsafe(ref gar, u);
                (dc * Vector256.LoadUnsafe(ref cr, u) * f * (one - f)).StoreUnsafe(ref gar, uh + u);
                (dc * i * (one - gg * gg)).StoreUnsafe(ref gar, 2 * uh + u);
                (dh * tc * o * (one - o)).StoreUnsafe(ref gar, 3 * uh + u);
                (dc * f).StoreUnsafe(ref gpr, u);
            }
        }
        for (; j < h; j++)
        {
            T i = act[j], f = act[h + j], gg = act[2 * h + j], o = act[3 * h + j], tc = tcNew[j];
            T dh = gh[j], dc = gc[j] + dh * o * (T.One - tc * tc);
            ga[j] = dc * gg * i * (T.One - i);
            ga[h + j] = dc * c[j] * f * (T.One - f);
            ga[2 * h + j] = dc * i * (T.One - gg * gg);
            ga[3 * h + j] = dh * tc * o * (T.One - o);
            gcPrev[j] = dc * f;
        }
    }
}
