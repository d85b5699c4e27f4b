using Autograd;
using Autograd.Tensors;

namespace Autograd.Tests.Tensors;

/// <summary>The slice adjoints (<see cref="Layout.Unslice"/>, <see cref="Layout.UnsliceAdd"/>) against an element-by-element
/// reference written from the definition, on every axis of a [3, 7, 2] array (so outer and inner blocks are both
/// present or absent), unit and larger steps, and starts at the edges and inside.</summary>
public class UnsliceTests
{
    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        int[] dims = [3, 7, 2];
        for (int axis = 0; axis < 3; axis++)
            foreach (int step in new[] { 1, 2, 3 })
                for (int start = 0; start < dims[axis]; start += 2)
                {
                    int count = (dims[axis] - start + step - 1) / step;
                    data.Add(axis, start, step, count);
                    if (count > 1) data.Add(axis, start, step, count - 1); // a slice that stops short of the end
                }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unslice_and_UnsliceAdd_place_each_element_where_it_was_cut_from(int axis, int start, int step, int count)
    {
        var shape = Shape.Of(3, 7, 2);
        var dims = new[] { 3, 7, 2 };
        dims[axis] = count;
        var g = Tensor.RandomNormal(Shape.Of(dims), new Random(axis * 100 + start * 10 + step), dtype: DType.Float64).Value;
        var prior = Tensor.RandomNormal(shape, new Random(1), dtype: DType.Float64).Value;

        var expected = new double[shape.Size];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 7; j++)
                for (int k = 0; k < 2; k++)
                {
                    int[] at = [i, j, k];
                    int pos = at[axis] - start;
                    if (pos < 0 || pos % step != 0 || pos / step >= count) continue;
                    int[] from = [i, j, k];
                    from[axis] = pos / step;
                    expected[(i * 7 + j) * 2 + k] = g[from];
                }

        Assert.Equal(expected, Layout.Unslice(g, shape, axis, start, step).ToDoubleArray());

        var into = NDArray.From<double>(prior.ToDoubleArray(), shape);
        Layout.UnsliceAdd(g, into, axis, start, step);
        var p = prior.ToDoubleArray();
        Assert.Equal(expected.Select((e, n) => p[n] + e).ToArray(), into.ToDoubleArray());
    }

    [Fact]
    public void Float32_unit_step_on_the_last_axis_matches_the_reference()
    {
        // The gate layout of a recurrent cell: columns [start, start + count) of every row.
        var g = Tensor.RandomNormal(Shape.Of(4, 5), new Random(3)).Value;
        var y = Layout.Unslice(g, Shape.Of(4, 20), 1, 10, 1).ToDoubleArray();
        var gd = g.ToDoubleArray();
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 20; c++)
                Assert.Equal(c is >= 10 and < 15 ? gd[r * 5 + c - 10] : 0.0, y[r * 20 + c]);
    }
}
