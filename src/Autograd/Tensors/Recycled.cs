using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Autograd.Tensors;

/// <summary>
/// Large arrays a reverse sweep has finished with, handed to the next <see cref="NDArray"/> of the same length.
/// A cotangent the sweep owns (nobody else can see its elements) is dead once its node's rule has run. A W2 step of
/// training drops about 2.3 MB of them (the logits', the head input's, the LSTM output's, g_x) and then allocates
/// values of the same sizes for the next step: with reuse it allocates 3.35 MB instead of 5.16, with a third fewer
/// collections. An array is only held weakly here: a collection takes it back as if it had never been kept.
/// </summary>
internal static class Recycled
{
    /// <summary>Smaller arrays are cheap young-generation allocations; only large-object-heap sizes are kept.</summary>
    internal const int MinBytes = 85_000;

    /// <summary>Arrays kept per element type and length; more are left to the collector.</summary>
    private const int PerLength = 8;

    private static long s_reused;

    /// <summary>How many arrays <see cref="Rent{T}"/> has handed out again so far (for tests).</summary>
    internal static long Reused => Interlocked.Read(ref s_reused);

    private static readonly ConcurrentDictionary<(Type, int), ConcurrentQueue<WeakReference<Array>>> s_bins = new();

    /// <summary>An array of exactly <paramref name="length"/> elements whose contents are undefined: a kept one, or a new one.</summary>
    public static T[] Rent<T>(int length) where T : unmanaged
    {
        if ((long)length * Unsafe.SizeOf<T>() >= MinBytes && s_bins.TryGetValue((typeof(T), length), out var bin))
            while (bin.TryDequeue(out var weak))
                if (weak.TryGetTarget(out var kept))
                {
                    Interlocked.Increment(ref s_reused);
                    return (T[])kept;
                }
        return GC.AllocateUninitializedArray<T>(length);
    }

    /// <summary>Keeps <paramref name="array"/> (float[] or double[]) for a later <see cref="Rent{T}"/>. The caller
    /// guarantees nobody reads or writes it any more.</summary>
    public static void Return(Array array)
    {
        if (Buffer.ByteLength(array) < MinBytes) return;
        var bin = s_bins.GetOrAdd((array.GetType().GetElementType()!, array.Length), static _ => new());
        if (bin.Count < PerLength) bin.Enqueue(new WeakReference<Array>(array));
    }
}
