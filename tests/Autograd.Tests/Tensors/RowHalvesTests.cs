using System.Threading;
using Autograd.Tensors;

namespace Autograd.Tests.Tensors;

/// <summary><see cref="RowHalves.Split"/> shares its two halves between the caller and a helper: every row is covered
/// exactly once whoever takes which half, the caller never waits for a helper that has not started, and a failure in
/// either half reaches the caller.</summary>
public class RowHalvesTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(64)]
    public void Every_row_is_covered_once_with_the_thread_pool(int rows)
    {
        for (int round = 0; round < 200; round++)
        {
            var hits = new int[rows];
            RowHalves.Split(rows, (lo, hi) =>
            {
                for (int r = lo; r < hi; r++) Interlocked.Increment(ref hits[r]);
            });
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public async Task The_caller_runs_both_halves_when_the_helper_never_starts()
    {
        RowHalves.Halves? dropped = null;
        var callers = new List<(int Lo, int Hi, int Thread)>();
        int caller = 0;
        var run = Task.Run(() =>
        {
            caller = Environment.CurrentManagedThreadId;
            RowHalves.Split(40, (lo, hi) => callers.Add((lo, hi, Environment.CurrentManagedThreadId)), queue: job => dropped = job);
        });
        await run.WaitAsync(TimeSpan.FromSeconds(30)); // a TimeoutException: Split waited for a helper that never started
        Assert.NotNull(dropped);
        Assert.Equal([(0, 24, caller), (24, 40, caller)], callers);
        // A helper that starts late finds nothing left to run.
        dropped!.Work();
        Assert.Equal(2, callers.Count);
    }

    [Fact]
    public void The_caller_waits_for_a_half_the_helper_has_taken()
    {
        using var started = new ManualResetEventSlim();
        var done = new bool[2];
        RowHalves.Split(32, (lo, hi) =>
        {
            if (lo == 0)
            {
                started.Set();
                Thread.Sleep(50); // still running when the caller has finished the other half
            }
            else Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
            done[lo == 0 ? 0 : 1] = true;
        }, queue: job =>
        {
            var helper = new Thread(job.Work);
            helper.Start();
            Assert.True(started.Wait(TimeSpan.FromSeconds(10))); // the helper has taken the first half
        });
        Assert.Equal([true, true], done);
    }

    [Fact]
    public void A_failure_in_a_half_reaches_the_caller_after_both_have_finished()
    {
        int finished = 0;
        var e = Assert.Throws<InvalidOperationException>(() => RowHalves.Split(32, (lo, hi) =>
        {
            if (lo > 0) throw new InvalidOperationException($"rows {lo}..{hi}");
            Thread.Sleep(20);
            Interlocked.Increment(ref finished);
        }));
        Assert.Equal("rows 16..32", e.Message);
        Assert.Equal(1, finished);
    }
}
