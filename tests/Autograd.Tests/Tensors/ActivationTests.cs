using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Tensors;

/// <summary>The float32 σ and tanh ops (Activation's kernels, not TensorPrimitives') against the double-precision
/// definitions, relative to the value: over whole vectors and tails, with small, medium, large and saturating inputs.</summary>
public class ActivationTests
{
    private static readonly float[] Inputs =
    [
        0f, 1e-30f, -1e-30f, 1e-8f, -3e-7f, 1e-6f, 1e-4f, -1e-3f, 0.01f, 0.063f, -0.07f, 0.0813f, -0.0917f, 0.1f, 0.13f, -0.3f, 0.5f, 0.6249f, -0.6251f, 0.625f, 0.7f,
        -1f, 1.5f, 2f, -3f, 4.5f, 8f, -9f, 12f, 20f, -40f, 80f, -87f, 88f, 100f, -100f, 3.7e8f,
    ];

    // Every input at every position of a vector and of the tail after it (lengths 1..Inputs.Length + 9).
    private static IEnumerable<float[]> Layouts()
    {
        for (int n = 1; n <= Inputs.Length + 9; n += 4)
            yield return Enumerable.Range(0, n).Select(i => Inputs[(i * 7) % Inputs.Length]).ToArray();
        yield return Inputs;
    }

    [Fact]
    public void Float32_tanh_is_within_3e7_of_the_true_value_relative_to_it_also_near_zero()
    {
        foreach (var xs in Layouts())
        {
            var y = Tanh(Tensor.FromArray(xs)).ToFloatArray();
            for (int i = 0; i < xs.Length; i++)
            {
                double exact = Math.Tanh(xs[i]);
                Assert.True(Math.Abs(y[i] - exact) <= 3e-7 * Math.Abs(exact) + 1e-45,
                    $"tanh({xs[i]:R}) = {y[i]:R}, exact {exact:R} (length {xs.Length}, index {i})");
            }
        }
    }

    [Fact]
    public void Float32_sigmoid_is_within_3e7_of_the_true_value_relative_to_it_above_minus_87()
    {
        foreach (var xs in Layouts())
        {
            var y = Sigmoid(Tensor.FromArray(xs)).ToFloatArray();
            for (int i = 0; i < xs.Length; i++)
            {
                double exact = 1 / (1 + Math.Exp(-(double)xs[i]));
                // Below −87.3 the result stays at e⁻⁸⁸ ≈ 6e-39 rather than going on down through the subnormals.
                double tolerance = xs[i] < -87 ? 7e-39 : 3e-7 * exact;
                Assert.True(Math.Abs(y[i] - exact) <= tolerance, $"sigmoid({xs[i]:R}) = {y[i]:R}, exact {exact:R} (length {xs.Length}, index {i})");
            }
        }
    }

    [Fact]
    public void Float32_tanh_and_sigmoid_keep_nan_and_saturate_at_infinities()
    {
        float[] xs = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1f, float.NaN, 0.2f, -0.2f, float.NaN, float.PositiveInfinity];
        var t = Tanh(Tensor.FromArray(xs)).ToFloatArray();
        var s = Sigmoid(Tensor.FromArray(xs)).ToFloatArray();
        for (int i = 0; i < xs.Length; i++)
        {
            if (float.IsNaN(xs[i])) Assert.True(float.IsNaN(t[i]) && float.IsNaN(s[i]), $"index {i}: tanh {t[i]}, sigmoid {s[i]}");
            else if (float.IsInfinity(xs[i]))
            {
                Assert.Equal(Math.Sign(xs[i]), t[i]);
                Assert.Equal(xs[i] > 0 ? 1f : 0f, s[i], 1e-38f);
            }
        }
    }
}
