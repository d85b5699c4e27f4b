using System.Buffers;

namespace Autograd;

/// <summary>
/// Arrays a primitive keeps from its forward pass for its rule (gate activations, a scan's kept values), rented from the
/// shared pool and given back when the primitive, and so its node, can no longer be reached: the finalizer runs only
/// then, when no rule can read them any more. An array may be longer than asked for.
/// PERF: a new large array per node is memory the collector has handed back to the OS and must map again page by
/// page. W2's composed LSTM cell spent about a third of its forward time in those page faults (DOTNET_GCRetainVM=1,
/// which keeps the memory mapped, was the control), and the large-object allocations set off gen-2 collections.
/// </summary>
internal sealed class Residuals(int slots)
{
    private readonly Array?[] _arrays = new Array?[slots];

    /// <summary>Rents an array of at least <paramref name="length"/> elements for <paramref name="slot"/>.</summary>
    public T[] Rent<T>(int slot, int length)
    {
        var a = ArrayPool<T>.Shared.Rent(length);
        _arrays[slot] = a;
        return a;
    }

    /// <summary>The array of <paramref name="slot"/>, or null when none is kept there.</summary>
    public T[]? Get<T>(int slot) => _arrays[slot] as T[];

    /// <summary>Gives the array of <paramref name="slot"/> back now: nothing may read it afterwards.</summary>
    public void Return<T>(int slot)
    {
        if (_arrays[slot] is T[] a) ArrayPool<T>.Shared.Return(a);
        _arrays[slot] = null;
    }

    ~Residuals()
    {
        foreach (var a in _arrays)
            if (a is float[] f) ArrayPool<float>.Shared.Return(f);
            else if (a is double[] d) ArrayPool<double>.Shared.Return(d);
    }
}
