namespace Autograd;

/// <summary>
/// Opt-in domain checks: inside <c>using (Checked.Enable())</c>, operations such as <c>Log</c> and <c>Sqrt</c>
/// throw when given values outside their domain instead of returning NaN. Off by default, like
/// <c>torch.autograd.detect_anomaly</c>, because it costs a pass over the data.
/// </summary>
public static class Checked
{
    [ThreadStatic] private static int t_depth;

    /// <summary>True when checks are on for the current thread.</summary>
    public static bool IsEnabled => t_depth > 0;

    /// <summary>Turns checks on for the current thread until the returned scope is disposed.</summary>
    public static IDisposable Enable()
    {
        t_depth++;
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            t_depth--;
        }
    }

    internal static void RequireDomain(NDArray x, string op, Func<double, bool> ok, string domain)
    {
        if (!IsEnabled) return;
        for (int i = 0; i < x.Size; i++)
        {
            double v = x.GetFlat(i);
            if (!ok(v))
                throw new ArgumentOutOfRangeException(nameof(x), $"{op}: input element {i} of shape {x.Shape} is {v}, outside the domain {domain}.");
        }
    }
}
