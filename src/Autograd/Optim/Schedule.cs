namespace Autograd.Optim;

/// <summary>
/// A learning rate as a function of the update index: <see cref="At"/>(0) is the rate of the first update
/// (PyTorch's LambdaLR convention). A number converts implicitly to a <see cref="ConstantSchedule"/>, so optimizers
/// accept either: <c>new Adam(lr: 2e-3)</c> or <c>new Adam(lr: Schedule.WarmupCosine(2e-3, 100, 2000))</c>.
/// </summary>
public abstract record Schedule
{
    /// <summary>The learning rate of update number <paramref name="step"/> (0-based).</summary>
    public abstract double At(int step);

    /// <summary>A fixed learning rate.</summary>
    public static implicit operator Schedule(double lr) => new ConstantSchedule(lr);

    /// <summary>lr at every step.</summary>
    public static Schedule Constant(double lr) => new ConstantSchedule(lr);

    /// <summary>lr · gamma^⌊step / stepSize⌋ (PyTorch's StepLR).</summary>
    public static Schedule StepDecay(double lr, int stepSize, double gamma) => new StepDecaySchedule(lr, stepSize, gamma);

    /// <summary>Linear warmup to <paramref name="peakLr"/> over <paramref name="warmupSteps"/> updates, then a cosine decay to
    /// <paramref name="minLr"/> at <paramref name="totalSteps"/> (held there afterwards).</summary>
    public static Schedule WarmupCosine(double peakLr, int warmupSteps, int totalSteps, double minLr = 0) =>
        new WarmupCosineSchedule(peakLr, warmupSteps, totalSteps, minLr);

    /// <summary>Any function of the update index.</summary>
    public static Schedule From(Func<int, double> lrAt) => new FunctionSchedule(lrAt);
}

/// <summary>The same rate at every step.</summary>
/// <param name="Lr">The learning rate.</param>
public sealed record ConstantSchedule(double Lr) : Schedule
{
    /// <inheritdoc/>
    public override double At(int step) => Lr;
}

/// <summary>lr · gamma^⌊step / stepSize⌋ (PyTorch's StepLR).</summary>
/// <param name="Lr">The initial rate.</param>
/// <param name="StepSize">Updates between decays (positive).</param>
/// <param name="Gamma">The factor applied at each decay.</param>
public sealed record StepDecaySchedule(double Lr, int StepSize, double Gamma) : Schedule
{
    /// <inheritdoc/>
    public override double At(int step) => StepSize > 0
        ? Lr * Math.Pow(Gamma, step / StepSize)
        : throw new ArgumentOutOfRangeException(nameof(StepSize), $"StepDecay: stepSize must be positive, got {StepSize}.");
}

/// <summary>
/// Linear warmup then cosine decay: lr(s) = peak·(s + 1)/warmup for s &lt; warmup, then
/// min + ½(peak − min)(1 + cos(π·(s − warmup)/(total − warmup))) until total, and min afterwards.
/// </summary>
/// <param name="PeakLr">The rate reached at the end of the warmup.</param>
/// <param name="WarmupSteps">Updates of linear warmup (0: none).</param>
/// <param name="TotalSteps">The update index at which the decay reaches <paramref name="MinLr"/>.</param>
/// <param name="MinLr">The final rate.</param>
public sealed record WarmupCosineSchedule(double PeakLr, int WarmupSteps, int TotalSteps, double MinLr = 0) : Schedule
{
    /// <inheritdoc/>
    public override double At(int step)
    {
        if (step < WarmupSteps) return PeakLr * (step + 1) / WarmupSteps;
        int span = TotalSteps - WarmupSteps;
        if (span <= 0 || step >= TotalSteps) return span <= 0 ? PeakLr : MinLr;
        double progress = (double)(step - WarmupSteps) / span;
        return MinLr + 0.5 * (PeakLr - MinLr) * (1 + Math.Cos(Math.PI * progress));
    }
}

/// <summary>A schedule given by a function.</summary>
/// <param name="LrAt">The learning rate of each update index.</param>
public sealed record FunctionSchedule(Func<int, double> LrAt) : Schedule
{
    /// <inheritdoc/>
    public override double At(int step) => LrAt(step);
}
