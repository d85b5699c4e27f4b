namespace Autograd.Testing;

/// <summary>
/// A range of input values for an operation: uniform in [<see cref="Low"/>, <see cref="High"/>], keeping
/// |x| ≥ <see cref="MinMagnitude"/> so that kinks (relu, abs at 0) and poles (1/x at 0) stay out of reach of ±ε.
/// </summary>
/// <param name="Name">A short name for messages.</param>
/// <param name="Low">The smallest value.</param>
/// <param name="High">The largest value.</param>
/// <param name="MinMagnitude">The smallest |x| allowed (0: none).</param>
public sealed record Domain(string Name, double Low, double High, double MinMagnitude = 0)
{
    /// <summary>Any value in [−2, 2].</summary>
    public static Domain Any { get; } = new("Any", -2, 2);

    /// <summary>[0.1, 3]: for log, sqrt, a divisor, a non-integer power.</summary>
    public static Domain Positive { get; } = new("Positive", 0.1, 3);

    /// <summary>|x| in [0.1, 2] with either sign: for relu, abs, a divisor.</summary>
    public static Domain AwayFromZero { get; } = new("AwayFromZero", -2, 2, 0.1);

    /// <summary>[−0.9, 0.9]: inside (−1, 1), e.g. for atanh-like functions or probabilities around 0.5.</summary>
    public static Domain Unit { get; } = new("Unit", -0.9, 0.9);

    /// <summary>True when <paramref name="x"/> lies in the domain.</summary>
    public bool Contains(double x) => x >= Low && x <= High && Math.Abs(x) >= MinMagnitude;

    /// <summary>The value of the domain nearest 0 (on the side of <paramref name="like"/> when 0 itself is excluded): where shrinking goes.</summary>
    public double NearestZero(double like = 1)
    {
        double z = Math.Clamp(0, Low, High);
        if (Math.Abs(z) >= MinMagnitude) return z;
        double side = like < 0 && -MinMagnitude >= Low ? -MinMagnitude : MinMagnitude;
        return Contains(side) ? side : -side;
    }

    /// <summary>A value in the domain from a uniform number <paramref name="u"/> in [0, 1) and a coin for the sign.</summary>
    public double FromUniform(double u, bool negative)
    {
        if (MinMagnitude <= 0) return Low + (High - Low) * u;
        // Two bands [Low, −m] and [m, High]: pick a side, then a point in it (a side that is empty falls back to the other).
        double lo = negative && Low <= -MinMagnitude ? Low : Math.Max(Low, MinMagnitude);
        double hi = negative && Low <= -MinMagnitude ? Math.Min(High, -MinMagnitude) : High;
        return lo + (hi - lo) * u;
    }

    /// <summary>A value drawn from <paramref name="rng"/>.</summary>
    public double Sample(Random rng) => FromUniform(rng.NextDouble(), rng.Next(2) == 0);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
