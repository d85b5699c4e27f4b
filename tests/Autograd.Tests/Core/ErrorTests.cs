using Autograd;
using static Autograd.Ops;

namespace Autograd.Tests.Core;

/// <summary>Bad input gets an exception naming the operation and the shapes or values at fault.</summary>
public class ErrorTests
{
    private static Tensor M(int r, int c) => Tensor.Zeros(Shape.Of(r, c), DType.Float64);

    private static void Says<TEx>(Action act, params string[] fragments) where TEx : Exception
    {
        var ex = Assert.ThrowsAny<TEx>(act);
        foreach (var f in fragments) Assert.Contains(f, ex.Message);
    }

    [Fact] public void MatMul_inner_mismatch() => Says<ShapeMismatchException>(() => MatMul(M(2, 3), M(4, 5)), "MatMul", "[2, 3]", "[4, 5]");

    [Fact] public void Broadcast_mismatch() => Says<ShapeMismatchException>(() => _ = M(2, 3) + M(3, 2), "Add", "[2, 3]", "[3, 2]");

    [Fact] public void Batched_matmul_batch_mismatch() =>
        Says<ShapeMismatchException>(() => MatMul(Tensor.Zeros(Shape.Of(2, 2, 3)), Tensor.Zeros(Shape.Of(3, 3, 2))), "MatMul", "[2]", "[3]");

    [Fact] public void Concat_mismatch() => Says<ShapeMismatchException>(() => Concat([M(2, 3), M(3, 3)], axis: 1), "Concat", "[3, 3]", "[2, 3]");

    [Fact] public void Axis_out_of_range() => Says<ArgumentOutOfRangeException>(() => Sum(M(2, 3), 2), "Sum", "axis 2", "[2, 3]");

    [Fact] public void Softmax_axis_out_of_range() => Says<ArgumentOutOfRangeException>(() => Softmax(M(2, 3), -3), "Softmax", "axis -3");

    [Fact] public void Gather_index_out_of_range() => Says<ArgumentOutOfRangeException>(() => GatherRows(M(4, 2), [1, 4]), "GatherRows", "index 4", "[4, 2]");

    [Fact] public void Cross_entropy_target_out_of_range() =>
        Says<ArgumentOutOfRangeException>(() => CrossEntropy(M(2, 5), [0, 5]), "CrossEntropy", "target 5", "5 classes");

    [Fact] public void Cross_entropy_target_count() => Says<ShapeMismatchException>(() => CrossEntropy(M(2, 5), [0]), "CrossEntropy", "1 targets", "[2, 5]");

    [Fact] public void Reshape_size_mismatch() => Says<ShapeMismatchException>(() => Reshape(M(2, 3), 4, 2), "Reshape", "[2, 3]", "[4, 2]");

    [Fact] public void Mse_shape_mismatch() => Says<ShapeMismatchException>(() => Mse(M(2, 3), M(3, 2)), "Mse", "[2, 3]", "[3, 2]");

    [Fact] public void Slice_bad_step() => Says<ArgumentOutOfRangeException>(() => Slice(M(2, 3), 1, 0, 3, 0), "Slice", "step");

    [Fact] public void Chunk_uneven() => Says<ShapeMismatchException>(() => Chunk(M(2, 3), 2, 1), "Chunk", "[2, 3]");

    [Fact]
    public void Log_and_sqrt_of_negative_throw_in_checked_mode_only()
    {
        var x = Tensor.FromArray(new double[] { 1, -2 }, 2);
        Assert.True(double.IsNaN(Log(x).ToDoubleArray()[1]));
        using (Checked.Enable())
        {
            Says<ArgumentOutOfRangeException>(() => Log(x), "Log", "element 1", "-2");
            Says<ArgumentOutOfRangeException>(() => Sqrt(x), "Sqrt", "element 1", "-2");
        }
        Assert.False(Checked.IsEnabled);
    }

    [Fact] public void Index_out_of_range() => Says<IndexOutOfRangeException>(() => _ = M(2, 3)[2, 0], "index 2", "axis 0");
}
