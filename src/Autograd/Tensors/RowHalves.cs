using System.Runtime.ExceptionServices;
using System.Threading;

namespace Autograd.Tensors;

/// <summary>Runs row-wise work over a block of rows: two halves on two cores when the work is large enough, else all rows
/// here. Made for one recurrent step (h W_hhᵀ, the gates, their rule; every row of a step depends only on the same row
/// of the previous step, so the halves never touch each other's data) in <see cref="LstmSequenceOp"/>,
/// <see cref="GruSequenceOp"/> and a compiled scan; also used for the independent rows of <see cref="CrossEntropyOp"/>.</summary>
/// <remarks>The halves are shared, not assigned: the caller and one pool thread each take the next half not yet taken,
/// and the caller waits only for a half the pool thread has started. When the other core is busy (another process, a
/// second training run) and no pool thread comes in time, the caller runs both halves itself instead of waiting for a
/// thread that is not running.</remarks>
internal static class RowHalves
{
    // PERF: one fork per step for the GEMM *and* the gates, instead of a GEMM split over columns followed by serial
    // gates: W2's forward recurrence (B 32, H 128) measured 1118 -> 903 µs per sequence on 2 cores.
    private const long MinWork = 1L << 20; // m·n·k of a step's product (or flops); Gemm splits products from this size on too

    /// <summary>body(0, rows), as two halves on two cores when there are 16 rows or more and
    /// <paramref name="work"/> is at least 2^20.</summary>
    public static void Run(int rows, long work, Action<int, int> body)
    {
        if (rows < 16 || work < MinWork || Environment.ProcessorCount < 2) body(0, rows);
        else Split(rows, body);
    }

    /// <summary>body(0, rows) as two halves, the first a multiple of the 8-row micro-tile, shared with a pool thread.</summary>
    /// <param name="rows">Rows in all (at least 2).</param>
    /// <param name="body">Work on rows [lo, hi); the two calls must not touch each other's data.</param>
    /// <param name="queue">How the helper is started (tests pass one that never runs it); default: the thread pool.</param>
    public static void Split(int rows, Action<int, int> body, Action<Halves>? queue = null)
    {
        var job = new Halves(body, Math.Min((rows / 2 + 7) & ~7, rows - 1), rows);
        if (queue is null) ThreadPool.QueueUserWorkItem(static j => j.Work(), job, preferLocal: false);
        else queue(job);
        job.Work();
        job.Wait();
    }

    /// <summary>The two halves of one <see cref="Split"/>: whoever calls <see cref="Work"/> takes halves until none is left.</summary>
    internal sealed class Halves(Action<int, int> body, int middle, int rows)
    {
        private int _taken;      // halves handed out so far (may run past 2)
        private int _finished;   // halves finished
        private Exception? _error;

        /// <summary>Runs halves not yet taken by the other thread; returns when none is left to take.</summary>
        public void Work()
        {
            int half;
            while ((half = Interlocked.Increment(ref _taken) - 1) < 2)
            {
                try
                {
                    if (half == 0) body(0, middle);
                    else body(middle, rows);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
                finally
                {
                    Interlocked.Increment(ref _finished);
                }
            }
        }

        /// <summary>Waits until both halves have finished (the helper's, if it took one), then rethrows the first failure.</summary>
        public void Wait()
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _finished) < 2) spin.SpinOnce(sleep1Threshold: -1); // no 1 ms sleeps: a half takes about 1 ms at most (W3), most far less
            if (_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        }
    }
}
