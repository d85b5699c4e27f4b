using System.Globalization;
using System.Text;

namespace Autograd;

public sealed partial class NDArray
{
    private const int ElideAbove = 1000, EdgeItems = 3;

    /// <summary>
    /// NumPy-style text: nested brackets, aligned columns, elided with <c>...</c> when there are more than
    /// 1,000 elements, followed by the dtype and shape, e.g. <c>tensor([[1., 2.], [3., 4.]], dtype=float32, shape=[2, 2])</c>.
    /// </summary>
    public override string ToString() => ToString("tensor");

    internal string ToString(string prefix)
    {
        var sb = new StringBuilder(prefix).Append('(');
        bool elide = Size > ElideAbove;
        var strides = Shape.Strides();
        var cells = new List<string>();
        Collect(0, 0, elide, strides, cells);
        int width = cells.Count == 0 ? 0 : cells.Max(c => c.Length);
        int k = 0;
        Write(sb, 0, 0, elide, strides, width, prefix.Length + 2, ref k, cells);
        return sb.Append(", dtype=").Append(DType.Name()).Append(", shape=").Append(Shape).Append(')').ToString();
    }

    private void Collect(int axis, int offset, bool elide, int[] strides, List<string> cells)
    {
        if (axis == Rank) { cells.Add(FormatElement(GetFlat(offset))); return; }
        foreach (var i in Visible(axis, elide)) if (i >= 0) Collect(axis + 1, offset + i * strides[axis], elide, strides, cells);
    }

    private void Write(StringBuilder sb, int axis, int offset, bool elide, int[] strides, int width, int indent, ref int k, List<string> cells)
    {
        if (axis == Rank) { sb.Append(cells[k++].PadLeft(width)); return; }
        sb.Append('[');
        bool first = true;
        foreach (var i in Visible(axis, elide))
        {
            if (!first)
            {
                sb.Append(',');
                if (axis == Rank - 1) sb.Append(' ');
                else sb.Append('\n', Rank - 1 - axis).Append(' ', indent + axis);
            }
            first = false;
            if (i < 0) sb.Append("...");
            else Write(sb, axis + 1, offset + i * strides[axis], elide, strides, width, indent, ref k, cells);
        }
        sb.Append(']');
    }

    // The indices shown along an axis; -1 stands for the elision mark.
    private IEnumerable<int> Visible(int axis, bool elide)
    {
        int n = Shape[axis];
        if (!elide || n <= 2 * EdgeItems)
        {
            for (int i = 0; i < n; i++) yield return i;
            yield break;
        }
        for (int i = 0; i < EdgeItems; i++) yield return i;
        yield return -1;
        for (int i = n - EdgeItems; i < n; i++) yield return i;
    }

    private string FormatElement(double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        var s = DType == DType.Float32 ? ((float)v).ToString("G6", CultureInfo.InvariantCulture) : v.ToString("G8", CultureInfo.InvariantCulture);
        if (!s.Contains('.') && !s.Contains('E')) s += ".";
        return s.Replace("E", "e");
    }
}
