using System.Runtime.CompilerServices;

namespace Autograd.Tensors;

/// <summary>
/// A whole op(B) packed once into the micro-panel layout of <see cref="Gemm"/> and kept beside the array it was read
/// from. NDArrays never change after they are handed out, so a weight multiplied at every step of an unrolled
/// recurrence (W_hh in h·W_hhᵀ forward and g·W_hh backward) needs packing only once, not once per step.
/// Layout: depth blocks of <c>Kc</c> rows one after another; block starting at depth p holds all ceil(n / nr) panels
/// of that block (panel q at <c>p · Panels · nr + q · kc · nr</c>), each as <see cref="GemmPacking.PackB{T}"/> writes it.
/// </summary>
internal sealed class GemmPackedB
{
    // PERF: keyed by the storage array itself (reference identity, weak: an entry dies with its array). The first
    // sighting of a (array, layout) only counts; the second packs and keeps. A B read once (a batch-sized activation,
    // a cotangent) never costs more than its usual pooled packing.
    private static readonly ConditionalWeakTable<Array, Slots> s_table = new();

    // One entry per storage order: W is read transposed forward (x·Wᵀ) and as stored backward (g·W).
    private sealed class Slots
    {
        public GemmPackedB? Plain, Transposed;
    }

    private readonly int _offset, _k, _n, _kc, _nr;
    private int _uses;
    private Array? _packed; // T[] on the pinned heap, written fully before it is published

    private GemmPackedB(int offset, int k, int n, int kc, int nr) => (_offset, _k, _n, _kc, _nr) = (offset, k, n, kc, nr);

    /// <summary>Whether <see cref="Gemm.Multiply{T}"/> honours its <c>cacheB</c> flag; benchmarks switch it off for
    /// same-process A/B runs.</summary>
    internal static bool Enabled = true;

    /// <summary>Total panels across n.</summary>
    public int Panels => (_n + _nr - 1) / _nr;

    /// <summary>The packed op(B) for this call, or null when it is not (yet) worth keeping. Thread-safe: concurrent
    /// callers may both pack, and one result wins; a packed array is never written after it is published.</summary>
    /// <param name="b">Storage of B (an immutable NDArray's data).</param>
    /// <param name="offset">Index of B's first element.</param>
    /// <param name="transB">Whether B is stored [n, k].</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    /// <param name="kc">Depth block the GEMM uses for this k.</param>
    /// <param name="nr">Micro-panel width of the kernel level in use.</param>
    public static unsafe T[]? Get<T>(T[] b, int offset, bool transB, int k, int n, int kc, int nr)
        where T : unmanaged
    {
        var slots = s_table.GetValue(b, static _ => new Slots());
        ref var slot = ref transB ? ref slots.Transposed : ref slots.Plain;
        var e = Volatile.Read(ref slot);
        if (e is null || e._offset != offset || e._k != k || e._n != n || e._kc != kc || e._nr != nr)
        {
            // First sighting, or another view of the same array (a reshape, another kernel level): keep the newest.
            e = new GemmPackedB(offset, k, n, kc, nr);
            Volatile.Write(ref slot, e);
        }
        if (Volatile.Read(ref e._packed) is T[] ready) return ready;
        if (Interlocked.Increment(ref e._uses) < 2) return null;
        int panels = e.Panels;
        long size = (long)panels * nr * k + 64 / sizeof(T);
        if (size > Array.MaxLength) return null;
        var packed = GC.AllocateUninitializedArray<T>((int)size, pinned: true);
        long rs = transB ? 1 : n, cs = transB ? k : 1;
        fixed (T* pb = &b[offset], raw = packed)
        {
            T* dst = Align(raw);
            for (int p = 0; p < k; p += kc)
                GemmPacking.PackB(Math.Min(kc, k - p), n, pb + p * rs, rs, cs, nr, dst + (long)p * panels * nr);
        }
        return Interlocked.CompareExchange(ref e._packed, packed, null) as T[] ?? packed;
    }

    /// <summary>The aligned start of a packed array (the same rounding <see cref="Get{T}"/> packed at).</summary>
    public static unsafe T* Align<T>(T* p) where T : unmanaged => (T*)(((nint)p + 63) & ~(nint)63);
}
