using System.Globalization;

namespace Autograd.Examples.CharRnn;

/// <summary>
/// Training progress: on a terminal a single live line (step, loss, chars/s, ETA) redrawn in place; otherwise a plain
/// log line every <c>logEvery</c> steps. Other output goes through <see cref="Line"/>, which clears the live line first.
/// </summary>
public sealed class Progress(TextWriter writer, bool live, int totalSteps, int logEvery, int charsPerStep)
{
    private int _width;

    /// <summary>Reports step <paramref name="step"/> (1-based) with its loss, <paramref name="done"/> steps into this
    /// run and <paramref name="seconds"/> of training time so far.</summary>
    public void Step(int step, double loss, int done, double seconds)
    {
        double perStep = seconds / Math.Max(1, done);
        double charsPerSecond = done * (double)charsPerStep / Math.Max(seconds, 1e-9);
        var eta = TimeSpan.FromSeconds(perStep * (totalSteps - step));
        if (live)
        {
            int filled = (int)(24.0 * step / Math.Max(1, totalSteps));
            string bar = new string('#', filled) + new string('.', 24 - filled);
            Draw(string.Create(CultureInfo.InvariantCulture,
                $"[{bar}] step {step}/{totalSteps}  loss {loss:F4}  {charsPerSecond:N0} chars/s  ETA {eta:mm\\:ss}"));
        }
        else if (step % Math.Max(1, logEvery) == 0 || step == totalSteps)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {step,6}  train {loss:F4}  {seconds,7:F1} s  {charsPerSecond:N0} chars/s  ETA {eta:mm\\:ss}"));
    }

    /// <summary>A line of other output (an evaluation, a sample), below the live line.</summary>
    public void Line(string text)
    {
        if (live && _width > 0) writer.Write('\r' + new string(' ', _width) + '\r');
        _width = 0;
        writer.WriteLine(text);
    }

    /// <summary>Ends the live line (call once after the last step).</summary>
    public void Done()
    {
        if (live && _width > 0) writer.WriteLine();
        _width = 0;
    }

    private void Draw(string text)
    {
        writer.Write('\r' + text.PadRight(_width));
        writer.Flush();
        _width = text.Length;
    }
}
