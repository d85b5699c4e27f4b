namespace Autograd.Data;

/// <summary>
/// One truncated-BPTT window over B parallel streams, time-major like the PyTorch script's <c>x = tr[pos:pos+seq]</c>:
/// <c>Inputs[t * Batch + b]</c> is step t of stream b, and <c>Targets</c> is the same window shifted by one step.
/// </summary>
/// <param name="Inputs">[Steps, Batch] token indices, row-major (a fresh array).</param>
/// <param name="Targets">[Steps, Batch] next-token indices, row-major (a fresh array).</param>
/// <param name="Steps">T, the window length.</param>
/// <param name="Batch">B, the number of streams.</param>
/// <param name="Position">The stream row where the window starts.</param>
/// <param name="Reset">True when the window starts a pass over the streams (row 0): the caller must zero its recurrent state.</param>
public sealed record BpttWindow(int[] Inputs, int[] Targets, int Steps, int Batch, int Position, bool Reset)
{
    /// <summary>[Steps, Batch], the index shape for an embedding lookup.</summary>
    public int[] Shape => [Steps, Batch];
}

/// <summary>
/// A token sequence laid out as B parallel column streams, exactly the PyTorch script's
/// <c>streams(d, b) = d[:n*b].view(b, n).t()</c> with n = len(d) / b: stream j is the contiguous slice
/// d[j·n, (j+1)·n), and the last len(d) mod B tokens are dropped. Immutable.
/// </summary>
public sealed class TokenStreams
{
    private readonly int[] _data;   // the first Length·Batch tokens, stream after stream

    /// <summary>Lays out <paramref name="data"/> as <paramref name="batch"/> streams.</summary>
    public TokenStreams(ReadOnlySpan<int> data, int batch)
    {
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), $"TokenStreams: batch must be positive, got {batch}.");
        Batch = batch;
        Length = data.Length / batch;
        _data = data[..(Length * batch)].ToArray();
    }

    /// <summary>n, the number of time steps in each stream.</summary>
    public int Length { get; }

    /// <summary>B, the number of streams.</summary>
    public int Batch { get; }

    /// <summary>Token at time step <paramref name="time"/> of stream <paramref name="stream"/> (the script's <c>tr[time, stream]</c>).</summary>
    public int this[int time, int stream] => _data[stream * Length + time];

    /// <summary>Rows [start, start + count) as a row-major [count, Batch] array.</summary>
    public int[] Rows(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"TokenStreams.Rows: rows [{start}, {start + count}) are outside 0..{Length}.");
        var r = new int[count * Batch];
        for (int t = 0; t < count; t++)
            for (int b = 0; b < Batch; b++) r[t * Batch + b] = _data[b * Length + start + t];
        return r;
    }

    /// <summary>
    /// The training window at <paramref name="position"/>, as the script's loop takes it: when
    /// position + seqLen + 1 &gt; Length it wraps to row 0; x = rows [p, p + seqLen), targets = rows [p + 1, p + 1 + seqLen).
    /// Returns the window (Reset when it starts at row 0) and the next position p + seqLen. Pure.
    /// </summary>
    public (BpttWindow Window, int NextPosition) TrainingWindow(int position, int seqLen)
    {
        RequireFits(seqLen);
        if (position < 0) throw new ArgumentOutOfRangeException(nameof(position), $"TokenStreams: position must be >= 0, got {position}.");
        int p = position + seqLen + 1 > Length ? 0 : position;
        return (new BpttWindow(Rows(p, seqLen), Rows(p + 1, seqLen), seqLen, Batch, p, Reset: p == 0), p + seqLen);
    }

    /// <summary>The endless sequence of training windows from row 0 (<see cref="TrainingWindow"/> chained); take as many as there are steps.</summary>
    public IEnumerable<BpttWindow> TrainingWindows(int seqLen)
    {
        RequireFits(seqLen);
        for (int pos = 0; ;)
        {
            (var w, pos) = TrainingWindow(pos, seqLen);
            yield return w;
        }
    }

    /// <summary>
    /// The evaluation windows, as the script's <c>evaluate()</c>: starts s = 0, seqLen, 2·seqLen, ... while
    /// s &lt; Length − 1 − seqLen; the first has Reset set and the state is carried across the rest.
    /// </summary>
    public IEnumerable<BpttWindow> EvaluationWindows(int seqLen)
    {
        if (seqLen <= 0) throw new ArgumentOutOfRangeException(nameof(seqLen), $"TokenStreams: seqLen must be positive, got {seqLen}.");
        for (int s = 0; s < Length - 1 - seqLen; s += seqLen)
            yield return new BpttWindow(Rows(s, seqLen), Rows(s + 1, seqLen), seqLen, Batch, s, Reset: s == 0);
    }

    /// <summary>
    /// The script's <c>evaluate()</c>: runs <paramref name="meanLoss"/> over <see cref="EvaluationWindows"/>, carrying its state
    /// from <paramref name="initialState"/>, and returns Σ loss·tokens / Σ tokens (NaN when there is no window).
    /// </summary>
    public double Evaluate<S>(int seqLen, S initialState, Func<S, BpttWindow, (S State, double MeanLoss)> meanLoss)
    {
        double total = 0;
        long count = 0;
        var state = initialState;
        foreach (var w in EvaluationWindows(seqLen))
        {
            (state, double loss) = meanLoss(state, w);
            total += loss * w.Targets.Length;
            count += w.Targets.Length;
        }
        return count == 0 ? double.NaN : total / count;
    }

    private void RequireFits(int seqLen)
    {
        if (seqLen <= 0) throw new ArgumentOutOfRangeException(nameof(seqLen), $"TokenStreams: seqLen must be positive, got {seqLen}.");
        if (seqLen + 1 > Length)
            throw new ArgumentException($"TokenStreams: a window of {seqLen} steps needs streams of at least {seqLen + 1} steps, but they have {Length} ({Batch} streams).");
    }
}

/// <summary>Splitting a token sequence for training.</summary>
public static class DataSplit
{
    /// <summary>The first ⌊fraction·n⌋ tokens for training and the rest for validation (the script's <c>int(0.9 * len(data))</c>).</summary>
    public static (int[] Train, int[] Validation) TrainValidation(int[] data, double trainFraction = 0.9)
    {
        if (trainFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(trainFraction), $"DataSplit: trainFraction must be in [0, 1], got {trainFraction}.");
        int n = (int)(trainFraction * data.Length);
        return (data[..n], data[n..]);
    }
}
