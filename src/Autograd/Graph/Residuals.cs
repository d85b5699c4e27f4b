using System.Buffers;

namespace Autograd;

/// <summary>
/// Arrays a primitive keeps from its forward pass for its rule (gate activations, a scan's kept values), rented from the
/// shared pool. They go back to it in one of two ways:
/// <list type="bullet">
/// <item>when the primitive, and so its node, can no longer be reached: the finalizer runs only then, when no rule can
/// read them any more;</item>
/// <item>sooner, through <see cref="Release"/>, when the sweep of <see cref="Ad.ValueAndGrad{P}"/> has run the rule
/// and the graph is dropped. A rule that runs after that (a tensor of the traced function was kept and differentiated
/// again) first refills them: it runs the forward pass again, which computes the same values.</item>
/// </list>
/// A rule reads the arrays inside <see cref="Read"/>, so a release from another thread waits until it is done.
/// An array may be longer than asked for.
/// PERF: a new large array per node is memory the collector has handed back to the OS and must map again page by
/// page. W2's composed LSTM cell spent about a third of its forward time in those page faults (DOTNET_GCRetainVM=1,
/// which keeps the memory mapped, was the control), and the large-object allocations set off gen-2 collections.
/// Waiting for the finalizer was not enough either: W3's arrays (80 MB per call) came back only after a gen-2
/// collection, every few calls, so most calls rented new ones (half of W3's 27,000 page faults per call).
/// </summary>
internal sealed class Residuals(int slots)
{
    private readonly Array?[] _arrays = new Array?[slots];
    private int _readers;              // rules reading the arrays now
    private bool _releaseAfterReading; // Release was called during a reading

    /// <summary>The arrays went back to the pool: a rule must refill them before it reads them.</summary>
    internal bool Released { get; private set; }

    /// <summary>Rents an array of at least <paramref name="length"/> elements for <paramref name="slot"/> (the forward
    /// pass, or a refill).</summary>
    public T[] Rent<T>(int slot, int length)
    {
        var a = ArrayPool<T>.Shared.Rent(length);
        _arrays[slot] = a;
        return a;
    }

    /// <summary>The array of <paramref name="slot"/>, or null when none is kept there; a rule calls it inside
    /// <see cref="Read"/>.</summary>
    public T[]? Get<T>(int slot) => _arrays[slot] as T[];

    /// <summary>Starts a rule's reading of the arrays, ended by disposing the result. If they were released,
    /// <paramref name="refill"/> (the primitive's forward pass on the node's inputs) rents and fills them again first.</summary>
    public Reading Read(Action refill)
    {
        lock (_arrays)
        {
            if (Released)
            {
                refill();
                Released = false;
            }
            _readers++;
        }
        return new Reading(this);
    }

    /// <summary>Gives every array back to the pool, now or, during a reading, when the last reading ends.</summary>
    public void Release()
    {
        lock (_arrays)
        {
            if (_readers > 0) _releaseAfterReading = true;
            else ReturnAll();
        }
    }

    private void EndReading()
    {
        lock (_arrays)
        {
            if (--_readers > 0 || !_releaseAfterReading) return;
            _releaseAfterReading = false;
            ReturnAll();
        }
    }

    private void ReturnAll()
    {
        for (int i = 0; i < _arrays.Length; i++)
        {
            if (_arrays[i] is float[] f) ArrayPool<float>.Shared.Return(f);
            else if (_arrays[i] is double[] d) ArrayPool<double>.Shared.Return(d);
            _arrays[i] = null;
        }
        Released = true;
    }

    /// <summary>A rule's reading of the arrays (<see cref="Read"/>); disposing it ends the reading.</summary>
    public readonly struct Reading(Residuals owner) : IDisposable
    {
        public void Dispose() => owner.EndReading();
    }

    ~Residuals() => ReturnAll();
}
