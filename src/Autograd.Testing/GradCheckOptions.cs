namespace Autograd.Testing;

/// <summary>How <see cref="GradCheck"/> probes a function.</summary>
public enum GradCheckMode
{
    /// <summary><see cref="Elementwise"/> when the inputs have at most <see cref="GradCheckOptions.ElementwiseLimit"/>
    /// elements in total, else <see cref="RandomDirection"/>.</summary>
    Auto,

    /// <summary>Every element of every input perturbed by ±ε on its own: 2 evaluations of f per element, and a
    /// mismatch is located to one element.</summary>
    Elementwise,

    /// <summary>Random tangents u (JAX's <c>check_vjp</c>): 2 evaluations of f per probe whatever the input size.</summary>
    RandomDirection,
}

/// <summary>
/// Settings of <see cref="GradCheck"/>. An analytic value a passes against the numerical value n when
/// |a − n| ≤ <see cref="AbsoluteTolerance"/> + <see cref="RelativeTolerance"/>·|n|.
/// The defaults suit float64; <see cref="Float32"/> gives settings for float32 inputs.
/// </summary>
public sealed record GradCheckOptions
{
    /// <summary>The defaults: ε = 1e-6, atol = 1e-6, rtol = 1e-4, 4 probes, seed 0, <see cref="GradCheckMode.Auto"/>, float64 only.</summary>
    public static GradCheckOptions Default { get; } = new();

    /// <summary>Settings for float32 inputs: <see cref="AllowFloat32"/> on, ε = 1e-2, atol = 1e-3, rtol = 1e-2. Central
    /// differences in float32 lose about half the 7 significant digits, so only gross errors are caught.</summary>
    public static GradCheckOptions Float32 { get; } = new() { AllowFloat32 = true, Eps = 1e-2, AbsoluteTolerance = 1e-3, RelativeTolerance = 1e-2 };

    /// <summary>The step ε of the central difference (f(x + εu) − f(x − εu)) / 2ε.</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary>atol in |a − n| ≤ atol + rtol·|n|.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-6;

    /// <summary>rtol in |a − n| ≤ atol + rtol·|n|.</summary>
    public double RelativeTolerance { get; init; } = 1e-4;

    /// <summary>Random tangents per input in <see cref="GradCheckMode.RandomDirection"/> mode (and as many over all inputs at once).</summary>
    public int Probes { get; init; } = 4;

    /// <summary>Seed of the random cotangent v and tangents u, so a check is reproducible.</summary>
    public int Seed { get; init; }

    /// <summary>Elementwise or random directions; <see cref="GradCheckMode.Auto"/> picks by <see cref="ElementwiseLimit"/>.</summary>
    public GradCheckMode Mode { get; init; } = GradCheckMode.Auto;

    /// <summary>The largest total input element count that <see cref="GradCheckMode.Auto"/> checks element by element.</summary>
    public int ElementwiseLimit { get; init; } = 200;

    /// <summary>
    /// False (the default): a float32 input makes the check throw, since float32 central differences are too imprecise
    /// for float64 tolerances. True: float32 inputs are perturbed and evaluated in float32 with the tolerances of this
    /// record as given (start from <see cref="Float32"/>, which has looser ones).
    /// </summary>
    public bool AllowFloat32 { get; init; }
}
