namespace Autograd;

public static partial class Ops
{
    /// <summary>
    /// Rows of <paramref name="table"/> picked by integer <paramref name="indices"/> (an embedding lookup):
    /// result[i..., :] = table[indices[i...], :], shaped <paramref name="indexShape"/> (default [indices.Length]) + table's
    /// trailing axes. Derivative: g's rows added into zeros at the picked rows (repeated indices accumulate).
    /// </summary>
    public static Tensor GatherRows(Tensor table, int[] indices, int[]? indexShape = null)
    {
        if (table.Rank == 0) throw new ShapeMismatchException("GatherRows: the table must have rank >= 1, got a scalar.");
        var ishape = Shape.Of(indexShape ?? [indices.Length]);
        if (ishape.Size != indices.Length)
            throw new ShapeMismatchException($"GatherRows: index shape {ishape} needs {ishape.Size} indices, got {indices.Length}.");
        int rows = table.Shape[0];
        for (int i = 0; i < indices.Length; i++)
            if (indices[i] < 0 || indices[i] >= rows)
                throw new ArgumentOutOfRangeException(nameof(indices), $"GatherRows: index {indices[i]} at position {i} is out of range for a table of shape {table.Shape} ({rows} rows).");
        var shape = Shape.Of([.. ishape.Dims, .. table.Shape.Dims[1..]]);
        var idx = (int[])indices.Clone();
        return new GatherRowsOp(idx).Record(Layout.GatherRows(table.Value, idx, shape), table);
    }
}

internal sealed class GatherRowsOp(int[] indices) : Primitive
{
    public override string Name => "gather_rows";
    public override string Attributes => $"n={indices.Length}";

    internal override NDArray?[] Vjp(Tensor y, NDArray gy) => [Layout.ScatterAddRows(gy, indices, y.Input(0).Shape)];
}
