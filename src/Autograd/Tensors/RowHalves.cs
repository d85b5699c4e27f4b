using System.Runtime.ExceptionServices;
using System.Threading;

namespace Autograd.Tensors;

/// <summary>Runs row-wise work over a block of rows: two halves on two cores when the work is large enough, else all rows
/// here. Made for one recurrent step (h W_hhᵀ, the gates, their rule; every row of a step depends only on the same row
/// of the previous step, so the halves never touch each other's data) in <see cref="LstmSequenceOp"/>,
/// <see cref="GruSequenceOp"/> and a compiled scan; also used for the independent rows of <see cref="CrossEntropyOp"/>.</summary>
/// <remarks>The halves are shared, not assigned: the caller and a helper thread each take the next half not yet taken,
/// and the caller waits only for a half the helper has started. When the other core is busy (another process, a second
/// training run) and the helper does not come in time, the caller runs both halves itself instead of waiting for a
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

    /// <summary>body(0, rows) as two halves, the first a multiple of the 8-row micro-tile, shared with the helper thread.</summary>
    /// <param name="rows">Rows in all (at least 2).</param>
    /// <param name="body">Work on rows [lo, hi); the two calls must not touch each other's data, and must not depend on
    /// the caller's execution context (the helper does not flow it).</param>
    /// <param name="queue">How the helper is given the job (tests pass one that never runs it); default: <see cref="Helper"/>.</param>
    public static void Split(int rows, Action<int, int> body, Action<Halves>? queue = null)
    {
        var job = new Halves(body, Math.Min((rows / 2 + 7) & ~7, rows - 1), rows);
        (queue ?? Helper.Post)(job);
        job.Work();
        job.Wait();
    }

    /// <summary>One background thread that takes the second half of each split. After a job it spins for a while before
    /// it sleeps, because a recurrent layer splits every step and the next step comes within microseconds.</summary>
    /// <remarks>PERF: a thread-pool worker went to sleep between steps, and on a shared 2-vCPU machine waking it took
    /// longer than half of a W2 step, so the caller ran both halves or waited. W2 built-in medians, measured in turn:
    /// 16.3-17.3 ms with the pool, 13.7-14.9 ms with the pool told to spin longer
    /// (DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=100000), and 16.9-22.2 ms (pool) against 14.8-20.2 ms (this helper) in
    /// three later rounds. GNU OpenMP, under PyTorch, also spins between parallel regions.</remarks>
    internal static class Helper
    {
        /// <summary>How long the helper spins for the next job before it sleeps (a few recurrent steps of W2).</summary>
        private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 2000; // 0.5 ms

        private static Halves? s_job;          // the latest job not yet picked up
        private static int s_sleeping;         // 1 while the helper waits on s_wake
        private static readonly SemaphoreSlim s_wake = new(0);
        private static readonly Thread s_thread = Start(); // started with the first job

        /// <summary>Hands <paramref name="job"/> to the helper, replacing a job it has not picked up (whose caller runs it).</summary>
        public static void Post(Halves job)
        {
            Interlocked.Exchange(ref s_job, job);
            if (Volatile.Read(ref s_sleeping) == 1 && Interlocked.Exchange(ref s_sleeping, 0) == 1) s_wake.Release();
        }

        private static Thread Start()
        {
            var t = new Thread(Loop) { IsBackground = true, Name = "Autograd RowHalves helper" };
            t.Start();
            return t;
        }

        private static void Loop()
        {
            while (true)
            {
                long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                var spin = new SpinWait();
                while (true)
                {
                    if (Interlocked.Exchange(ref s_job, null) is { } job)
                    {
                        job.Work();
                        until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                        spin = new SpinWait();
                    }
                    else if (System.Diagnostics.Stopwatch.GetTimestamp() > until) break;
                    else spin.SpinOnce(sleep1Threshold: -1);
                }
                // Sleep, unless a job came in meanwhile: Post sets the job before it reads s_sleeping, and this thread
                // sets s_sleeping before it reads the job again, so one of the two sees the other.
                Interlocked.Exchange(ref s_sleeping, 1);
                if (Volatile.Read(ref s_job) is not null)
                {
                    if (Interlocked.Exchange(ref s_sleeping, 0) == 1) continue;
                    // Post cleared the flag first and released the semaphore: take that release so that it is not left over.
                }
                s_wake.Wait();
            }
        }
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
            while (Volatile.Read(ref _finished) < 2) spin.SpinOnce(sleep1Threshold: -1); // no 1 ms sleeps: a half takes microseconds
            if (_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        }
    }
}
