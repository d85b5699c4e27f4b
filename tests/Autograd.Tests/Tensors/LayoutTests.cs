using Autograd;
using Autograd.Tensors;

namespace Autograd.Tests.Tensors;

/// <summary><see cref="Layout.Gather{T}"/>, the strided walk behind broadcasting and permuting, against the definition
/// y[i] = src[Σ_ax index_ax(i) · stride_ax] element by element, for stride patterns that take each of its paths: a
/// block fill (stride 0 inside), a block copy (contiguous inside), and single elements.</summary>
public class LayoutTests
{
    public static TheoryData<int[], int[]> Cases => new()
    {
        { [3, 4, 5], [0, 0, 0] },       // a scalar broadcast: one fill
        { [3, 4], [0, 1] },             // a row broadcast over rows: copies of 4
        { [3, 4], [1, 0] },             // a column broadcast: fills of 4
        { [2, 4, 3], [0, 1, 0] },       // [1, 4, 1] broadcast: fills of 3
        { [2, 3, 4], [12, 4, 1] },      // contiguous: one copy
        { [2, 3, 4], [0, 4, 1] },       // [3, 4] under a new axis: copies of 12
        { [4, 2, 3], [1, 12, 4] },      // a permutation: single elements
        { [2, 4, 3], [12, 1, 4] },      // the last two axes swapped
        { [3, 0, 2], [0, 2, 1] },       // empty
        { [], [] },                     // a scalar
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gather_reads_every_element_at_its_strided_offset(int[] dims, int[] strides)
    {
        var shape = Shape.Of(dims);
        var src = Enumerable.Range(0, 64).Select(i => i + 0.5).ToArray();
        var y = new double[shape.Size];
        Layout.Gather(src, strides, shape, y);
        for (int i = 0; i < y.Length; i++)
        {
            int rest = i, off = 0;
            for (int ax = dims.Length - 1; ax >= 0; ax--)
            {
                off += rest % dims[ax] * strides[ax];
                rest /= dims[ax];
            }
            Assert.Equal(src[off], y[i]);
        }
    }
}
