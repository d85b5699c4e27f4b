using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autograd;

/// <summary>σ and tanh over spans from one exponential on 256-bit vectors: the fused gates' kernels
/// (<see cref="LstmGatesOp"/>, <see cref="GruSequenceOp"/>), and for float32 the σ and tanh ops' too
/// (<see cref="PreciseTanh"/> for the op's tanh).</summary>
internal static class Activation
{
    /// <summary>y = 1 / (1 + e⁻ˣ); saturates to 0 and 1 without overflow trouble (e⁻ˣ = ∞ gives 0).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        Apply<SigmoidOf, T>(x, default, y);

    /// <summary>y = tanh x = 1 − 2 / (e²ˣ + 1); saturates to ±1 (e²ˣ = ∞ gives 1, e²ˣ = 0 gives −1).</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        Apply<TanhOf, T>(x, default, y);

    /// <summary>y = σ(x + x₂), or σ(x) when <paramref name="x2"/> is empty (a gate from two summands of its pre-activation).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> x2, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        Apply<SigmoidOf, T>(x, x2, y);

    /// <summary>y = tanh(x + x₂), or tanh x when <paramref name="x2"/> is empty.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> x2, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        Apply<TanhOf, T>(x, x2, y);

    /// <summary>y = tanh x to about 1e-7 relative error everywhere, float only: below |x| = 0.625 an odd polynomial
    /// (Cephes' tanhf), above it 1 − 2 / (e²ˣ + 1). <see cref="Tanh{T}(ReadOnlySpan{T}, Span{T})"/> alone loses the
    /// relative precision of small values to the cancellation in 1 − 2 / (e²ˣ + 1) (tanh 1e-6 comes out 6% off), which
    /// the LSTM gates do not mind (they multiply it by o and add it to h) but the Tanh op would.</summary>
    public static void PreciseTanh(ReadOnlySpan<float> x, Span<float> y) => Apply<PreciseTanhOf, float>(x, default, y);

    /// <summary>One activation, as a type argument: <see cref="Apply{F, T}"/> is compiled once for each, with the
    /// activation inlined (no delegate call per vector).</summary>
    private interface IActivation
    {
        static abstract Vector256<T> Of<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T>;
        static abstract T Of<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>;
    }

    private readonly struct SigmoidOf : IActivation
    {
        public static Vector256<T> Of<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Sigmoid(x);
        public static T Of<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => Sigmoid(x);
    }

    private readonly struct TanhOf : IActivation
    {
        public static Vector256<T> Of<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Tanh(x);
        public static T Of<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => Tanh(x);
    }

    private readonly struct PreciseTanhOf : IActivation
    {
        private const float Q0 = -5.70498872745e-3f, Q1 = 2.06390887954e-2f, Q2 = -5.37397155531e-2f, Q3 = 1.33314422036e-1f, Q4 = -3.33332819422e-1f;

        public static Vector256<T> Of<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var v = x.AsSingle();
            var s = v * v;
            var p = Vector256.FusedMultiplyAdd(Vector256.Create(Q0), s, Vector256.Create(Q1));
            p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(Q2));
            p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(Q3));
            p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(Q4));
            var small = Vector256.FusedMultiplyAdd(p * s, v, v);
            return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(v), Vector256.Create(0.625f)), small, Tanh(v)).As<float, T>();
        }

        public static T Of<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        {
            float v = float.CreateTruncating(x);
            if (!(Math.Abs(v) < 0.625f)) return T.CreateTruncating(Tanh(v));
            float s = v * v, p = MathF.FusedMultiplyAdd(Q0, s, Q1);
            p = MathF.FusedMultiplyAdd(p, s, Q2);
            p = MathF.FusedMultiplyAdd(p, s, Q3);
            p = MathF.FusedMultiplyAdd(p, s, Q4);
            return T.CreateTruncating(MathF.FusedMultiplyAdd(p * s, v, v));
        }
    }

    /// <summary>y = F(x + x₂), or F(x) when x₂ is empty; y may be x.</summary>
    private static void Apply<F, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> x2, Span<T> y) where F : IActivation where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        bool two = !x2.IsEmpty;
        if (Vector256.IsHardwareAccelerated)
        {
            ref T xr = ref MemoryMarshal.GetReference(x);
            ref T x2r = ref MemoryMarshal.GetReference(x2);
            ref T yr = ref MemoryMarshal.GetReference(y);
            if (two)
                for (; j <= x.Length - Vector256<T>.Count; j += Vector256<T>.Count)
                    F.Of(Vector256.LoadUnsafe(ref xr, (nuint)j) + Vector256.LoadUnsafe(ref x2r, (nuint)j)).StoreUnsafe(ref yr, (nuint)j);
            else
                for (; j <= x.Length - Vector256<T>.Count; j += Vector256<T>.Count)
                    F.Of(Vector256.LoadUnsafe(ref xr, (nuint)j)).StoreUnsafe(ref yr, (nuint)j);
        }
        for (; j < x.Length; j++) y[j] = F.Of(two ? x[j] + x2[j] : x[j]);
    }

    /// <summary>σ of one vector, as <see cref="Sigmoid{T}(ReadOnlySpan{T}, Span{T})"/> computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sigmoid<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector256<T>.One / (Vector256<T>.One + Exp(-x));

    /// <summary>tanh of one vector, as <see cref="Tanh{T}(ReadOnlySpan{T}, Span{T})"/> computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Tanh<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v2 = Vector256<T>.One + Vector256<T>.One;
        return Vector256<T>.One - v2 / (Exp(v2 * x) + Vector256<T>.One);
    }

    // PERF: e^x for σ and tanh: float in float arithmetic (ExpSingle below), double through Vector256.Exp (the 512-bit
    // one measured about twice as slow on an AVX-512 machine).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Exp<T>(Vector256<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? ExpSingle(x.AsSingle()).As<float, T>() : Vector256.Exp(x.AsDouble()).As<double, T>();

    /// <summary>σ of one value (a row's tail), the same formula as the vector lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + Exp(-x));

    /// <summary>tanh of one value (a row's tail), the same formula as the vector lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var two = T.One + T.One;
        return T.One - two / (Exp(two * x) + T.One);
    }

    // The scalar e^x of a row's tail, the same formulas as its vector lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Exp<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? T.CreateTruncating(ExpSingle(float.CreateTruncating(x))) : T.Exp(x);

    // PERF: e^x in float arithmetic, Cephes' expf: x = n ln 2 + r with ln 2 in two parts (Cody–Waite), e^r by a degree-6
    // polynomial, 2^n through the exponent bits; relative error about 1e-7. Vector256.Exp widens float to double: 1.23 ns
    // per element on an AVX2 EPYC against 0.59 ns for this, and a W2 training step evaluates 1.2 M exponentials. x is
    // clamped to [−87.33, 88], beyond which σ and tanh are saturated anyway (e^88 = 1.7e38 stands in for ∞, e^−87.33 =
    // 1.2e−38 for 0); a NaN stays NaN.
    private const float ExpLow = -87.33f, ExpHigh = 88f, Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpSingle(Vector256<float> x)
    {
        // The Native min, max and conversion are single instructions (the portable ones also order NaN and −0, which
        // cannot occur once x is clamped and its NaN lanes are put back at the end).
        var xc = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(ExpLow)), Vector256.Create(ExpHigh));
        var n = Vector256.Round(xc * Log2E);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc));
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), p * scale, x);
    }

    internal static float ExpSingle(float x)
    {
        if (float.IsNaN(x)) return x;
        float xc = Math.Min(Math.Max(x, ExpLow), ExpHigh), n = MathF.Round(xc * Log2E);
        float r = MathF.FusedMultiplyAdd(n, -Ln2Lo, MathF.FusedMultiplyAdd(n, -Ln2Hi, xc));
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        p = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }
}
