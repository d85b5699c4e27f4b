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
        if (!pre2.IsEmpty)
        {
            // the sum goes where the activations will be; σ and tanh then run in place
            TensorPrimitives.Add(pre, pre2, act[..(4 * h)]);
            pre = act[..(4 * h)];
        }
        Activation.Sigmoid<T>(pre[..(2 * h)], act[..(2 * h)]);
        Activation.Tanh<T>(pre.Slice(2 * h, h), act.Slice(2 * h, h));
        Activation.Sigmoid<T>(pre.Slice(3 * h, h), act.Slice(3 * h, h));
        Span<T> i = act[..h], f = act.Slice(h, h), g = act.Slice(2 * h, h), o = act.Slice(3 * h, h),
            tc = act.Length >= 5 * h ? act.Slice(4 * h, h) : h1; // h' = o ⊙ tanh c' may be computed in place
        // c' = f c + i g, rounded as the composed cell rounds it (two products, then the sum); h' serves as scratch
        TensorPrimitives.Multiply(f, c0, c1);
        TensorPrimitives.Multiply(i, g, h1);
        TensorPrimitives.Add(c1, h1, c1);
        Activation.Tanh<T>(c1, tc);
        TensorPrimitives.Multiply(o, tc, h1);
    }

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) =>
        gy.DType == DType.Float32 ? Vjp<float>(y, gy) : Vjp<double>(y, gy);

    private NDArray?[] Vjp<T>(Tensor y, NDArray gy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cell = y.InputArray[^1].Value;
        int b = cell.Shape[0], h = cell.Shape[1];
        var ga = NDArray.Empty<T>(Shape.Of(b, 4 * h));
        var gc = NDArray.Empty<T>(cell.Shape);
        T[] s = saved.Array<T>(), c = cell.Array<T>(), g = gy.Array<T>(), gad = ga.Array<T>(), gcd = gc.Array<T>();
        for (int r = 0; r < b; r++)
            Backward(s.AsSpan(r * 5 * h, 4 * h), s.AsSpan(r * 5 * h + 4 * h, h), c.AsSpan(r * h, h), g.AsSpan(r * h, h), g.AsSpan((b + r) * h, h),
                gad.AsSpan(r * 4 * h, 4 * h), gcd.AsSpan(r * h, h));
        // Both summands of the pre-activation get the same cotangent; the sweep treats a shared array as borrowed.
        return y.InputArray.Length == 2 ? [ga, gc] : [ga, ga, gc];
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

/// <summary>σ and tanh over spans from one exponential on 256-bit vectors (<see cref="LstmGatesOp"/>'s kernels).</summary>
internal static class Activation
{
    /// <summary>y = 1 / (1 + e⁻ˣ); saturates to 0 and 1 without overflow trouble (e⁻ˣ = ∞ gives 0).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref T xr = ref MemoryMarshal.GetReference(x);
            ref T yr = ref MemoryMarshal.GetReference(y);
            for (; j <= x.Length - Vector256<T>.Count; j += Vector256<T>.Count)
                (Vector256<T>.One / (Vector256<T>.One + Exp(-Vector256.LoadUnsafe(ref xr, (nuint)j)))).StoreUnsafe(ref yr, (nuint)j);
        }
        for (; j < x.Length; j++) y[j] = T.One / (T.One + T.Exp(-x[j]));
    }

    /// <summary>y = tanh x = 1 − 2 / (e²ˣ + 1); saturates to ±1 (e²ˣ = ∞ gives 1, e²ˣ = 0 gives −1).</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        var two = T.One + T.One;
        if (Vector256.IsHardwareAccelerated)
        {
            ref T xr = ref MemoryMarshal.GetReference(x);
            ref T yr = ref MemoryMarshal.GetReference(y);
            var v2 = Vector256.Create(two);
            for (; j <= x.Length - Vector256<T>.Count; j += Vector256<T>.Count)
            {
                var e = Exp(v2 * Vector256.LoadUnsafe(ref xr, (nuint)j));
                (Vector256<T>.One - v2 / (e + Vector256<T>.One)).StoreUnsafe(ref yr, (nuint)j);
            }
        }
        for (; j < x.Length; j++) y[j] = T.One - two / (T.Exp(two * x[j]) + T.One);
    }

    // PERF: Vector256.Exp is used rather than the 512-bit one, which measured about twice as slow on this machine.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Exp<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector256.Exp(x.AsSingle()).As<float, T>() : Vector256.Exp(x.AsDouble()).As<double, T>();
}
